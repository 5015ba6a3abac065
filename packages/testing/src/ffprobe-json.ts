import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbeJson {
  streams: {
    codec_type: string;
    codec_name: string;
    /** The sample entry (`hvc1`, `avc1`, `av01`), or `[0][0][0][0]` when the container has none. */
    codec_tag_string?: string;
    width?: number;
    height?: number;
    duration?: string;
    profile?: string;
    pix_fmt?: string;
    nb_frames?: string;
    sample_rate?: string;
  }[];
  format: { duration: string; format_name: string; start_time?: string };
}

/** ffprobe's JSON view of a file: tests check outputs with the real ffprobe, not our adapter. */
export async function ffprobeJson(file: string): Promise<ProbeJson> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    file,
  ]);
  return JSON.parse(stdout) as ProbeJson;
}

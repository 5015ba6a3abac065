import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIG = { maxBuffer: 256 * 1024 * 1024 };

/** The video frames of a file (an MP4, or an HLS playlist with its segments), counted by ffprobe from its packets. */
export async function countFrames(file: string): Promise<number> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-count_packets',
      '-show_entries',
      'stream=nb_read_packets',
      '-of',
      'json',
      file,
    ],
    BIG,
  );
  const json = JSON.parse(stdout) as { streams?: { nb_read_packets?: string }[] };
  return Number(json.streams?.[0]?.nb_read_packets);
}

/**
 * The durations of a file's first video and audio streams in seconds, from their packets: the
 * last packet's end minus the first packet's start (null for a stream the file lacks).
 */
export async function streamDurations(file: string): Promise<{ video: number; audio: number | null }> {
  const span = async (stream: string): Promise<number | null> => {
    const { stdout } = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        stream,
        '-show_entries',
        'packet=pts_time,duration_time',
        '-of',
        'csv=p=0',
        file,
      ],
      BIG,
    );
    const rows = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(',').map(Number) as [number, number]);
    if (rows.length === 0) return null;
    const start = Math.min(...rows.map((r) => r[0]));
    const end = Math.max(...rows.map((r) => r[0] + (Number.isFinite(r[1]) ? r[1] : 0)));
    return end - start;
  };
  return { video: (await span('v:0')) ?? 0, audio: await span('a:0') };
}

/** SSIM of one frame: its index in the first file and its time there, and its SSIM (All). */
export interface FrameSsim {
  n: number;
  time: number;
  ssim: number;
}

/**
 * SSIM of `a` against `b`, frame by frame (ffmpeg's `ssim` filter, both scaled to `a`'s size
 * when they differ): the mean and every frame's value with its time in `a`.
 */
export async function measureSsim(a: string, b: string): Promise<{ mean: number; frames: FrameSsim[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kiln-ssim-'));
  try {
    const stats = path.join(dir, 'ssim.log');
    const { stdout } = await run(
      'ffprobe',
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', a],
      BIG,
    );
    const times = stdout
      .trim()
      .split('\n')
      .map(Number)
      .sort((x, y) => x - y);
    await run(
      'ffmpeg',
      [
        '-v',
        'error',
        '-nostdin',
        '-i',
        a,
        '-i',
        b,
        '-lavfi',
        `[1:v][0:v]scale2ref[ref][main];[main][ref]ssim=stats_file=${stats}`,
        '-f',
        'null',
        '-',
      ],
      BIG,
    );
    const frames = (await readFile(stats, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => {
        const n = Number(/n:(\d+)/.exec(line)?.[1]) - 1;
        return { n, time: times[n] ?? n, ssim: Number(/All:([\d.]+)/.exec(line)?.[1]) };
      });
    const mean = frames.reduce((s, f) => s + f.ssim, 0) / Math.max(frames.length, 1);
    return { mean, frames };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What an analysing filter (`idet`, `ebur128`) prints over a whole file's first video (`v`) or
 * audio (`a`) stream: ffmpeg's stderr, the file decoded through `filter` into the null muxer.
 */
async function filterReport(file: string, stream: 'v' | 'a', filter: string): Promise<string> {
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostats', '-i', file, '-map', `0:${stream}:0`, `-${stream}f`, filter, '-f', 'null', '-'],
    BIG,
  );
  return stderr;
}

/** ffmpeg's `idet` multi-frame verdict over a whole file: frames it calls TFF, BFF and progressive. */
export async function idetCounts(file: string): Promise<{ tff: number; bff: number; progressive: number }> {
  const stderr = await filterReport(file, 'v', 'idet');
  const m = /Multi frame detection: TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)/.exec(stderr);
  if (!m) throw new Error(`no idet summary in: ${stderr.slice(-500)}`);
  return { tff: Number(m[1]), bff: Number(m[2]), progressive: Number(m[3]) };
}

/** Integrated loudness (LUFS) of a file's first audio track, as ffmpeg's `ebur128` filter measures it. */
export async function integratedLufs(file: string): Promise<number> {
  const stderr = await filterReport(file, 'a', 'ebur128=framelog=verbose');
  const all = [...stderr.matchAll(/I:\s+(-?[\d.]+) LUFS/g)];
  if (all.length === 0) throw new Error(`no integrated loudness in: ${stderr.slice(-300)}`);
  return Number(all.at(-1)![1]);
}

import { availableParallelism } from 'node:os';
import { stat } from 'node:fs/promises';
import { TextTail, summarizeStderr } from './ffmpeg-stderr.js';
import type { MediaInfo } from './media-info.js';
import { parseFfprobeJson, type FfprobeJson } from './media-info.parser.js';
import { MediaFrameTooLargeError, MediaProbeError, MediaToolError } from './media.errors.js';
import { defaultSandbox, type MediaSandbox } from './media-sandbox.js';

/** Options of {@link probe}. */
/**
 * Demuxers of real media containers, and only those, for untrusted inputs: a playlist (HLS,
 * DASH), a concat list or an image sequence pattern could make ffmpeg open other files, so a
 * file that is really one of those fails as unreadable instead of being followed.
 */
export const INPUT_FORMAT_WHITELIST = [
  'mov,mp4,m4a,3gp,3g2,mj2',
  'matroska,webm',
  'avi',
  'flv',
  'mpegts',
  'mpeg',
  'mpegps',
  'mpegvideo',
  'ogg',
  'asf',
  'wav',
  'w64',
  'mp3',
  'aac',
  'flac',
  'ac3',
  'eac3',
  'h264',
  'hevc',
  'm4v',
  'mxf',
  'gif',
  'png_pipe',
  'jpeg_pipe',
  'webp_pipe',
  'bmp_pipe',
  'tiff_pipe',
  'yuv4mpegpipe',
  'ivf',
  'dv',
  'obu',
].join(',');

export interface ProbeOptions {
  /** Reads our own outputs (an HLS playlist, say): any demuxer. Never set for customer inputs. */
  trustedFormat?: boolean | undefined;
  /** The ffprobe binary; default `ffprobe` on PATH. */
  ffprobePath?: string | undefined;
  /** Kill ffprobe and fail after this long (a crafted file can keep it busy); default 30 s. */
  timeoutMs?: number | undefined;
  /** Aborting kills ffprobe and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** The decoder refuses frames of more pixels (ffmpeg's `-max_pixels`): rejects with {@link MediaFrameTooLargeError}. */
  maxPixels?: number | undefined;
  /** Environment, limits and priority ffprobe runs with; default {@link defaultSandbox}. */
  sandbox?: MediaSandbox | undefined;
}

/** ffprobe writes no files: any write to one is refused. */
const PROBE_FILE_LIMIT_BYTES = 16 * 1024 * 1024;
/** What libavutil prints when a frame is over `-max_pixels` (stable since ffmpeg 3.4). */
const OVER_MAX_PIXELS = /Picture size (\d+)x(\d+) exceeds specified max pixel count/;

const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * Reads a local media file's duration, format and first video and audio streams with ffprobe.
 * Rejects with {@link MediaProbeError} (a readable reason, e.g. "file is empty (0 bytes)" or
 * "moov atom not found; Invalid data found when processing input") when the file is missing, empty
 * or unreadable as media, and with {@link MediaToolError} when ffprobe itself cannot run.
 * Only the `file` and `pipe` protocols may be opened, so a playlist cannot make ffprobe fetch URLs.
 */
export async function probe(path: string, opts: ProbeOptions = {}): Promise<MediaInfo> {
  const sizeBytes = await checkFile(path);
  opts.signal?.throwIfAborted();
  const tool = opts.ffprobePath ?? 'ffprobe';
  const formats = opts.trustedFormat ? [] : ['-format_whitelist', INPUT_FORMAT_WHITELIST];
  const pixels = opts.maxPixels !== undefined ? ['-max_pixels', String(opts.maxPixels)] : [];
  const args = [
    '-v',
    'error',
    '-protocol_whitelist',
    'file,pipe',
    ...formats,
    ...pixels,
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    `file:${path}`,
  ];
  const { code, stdout, stderr, timedOut } = await run(tool, args, opts);
  if (timedOut)
    throw new MediaProbeError(`ffprobe gave no answer within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s`, path);
  const over = OVER_MAX_PIXELS.exec(stderr);
  if (over && opts.maxPixels !== undefined)
    throw new MediaFrameTooLargeError(Number(over[1]), Number(over[2]), opts.maxPixels, path);
  // setpriv, prlimit and nice exit 126/127 when they cannot run the tool they wrap (ffprobe never does).
  if (code === 126 || code === 127)
    throw new MediaToolError(`could not run ${tool}: ${stderr.trim().split('\n').at(-1) ?? `exit code ${code}`}`);
  if (code !== 0) {
    const reason =
      summarizeStderr(stderr, { input: path }) || `ffprobe exited with ${code === null ? 'a signal' : `code ${code}`}`;
    throw new MediaProbeError(reason, path);
  }
  let json: FfprobeJson;
  try {
    json = JSON.parse(stdout) as FfprobeJson;
  } catch {
    throw new MediaProbeError('ffprobe returned unreadable output', path);
  }
  if (!json.streams?.length) throw new MediaProbeError('no audio or video streams found', path);
  return parseFfprobeJson(json, sizeBytes);
}

/** Turns the usual file problems into clear messages before ffprobe gives a vaguer one. */
async function checkFile(path: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new MediaProbeError('not a regular file', path);
    size = st.size;
  } catch (err) {
    if (err instanceof MediaProbeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES'
          ? 'permission denied'
          : `cannot read file (${code ?? String(err)})`;
    throw new MediaProbeError(reason, path);
  }
  if (size === 0) throw new MediaProbeError('file is empty (0 bytes)', path);
  return size;
}

/** How an ffprobe run ended: its exit code, what it printed, and whether it ran out of time. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs ffprobe with `args` in the sandbox, killed after `opts.timeoutMs` (default 30 s) or on
 * abort; stdout is kept up to `maxOutputBytes` (default 16 MiB), past which ffprobe is killed.
 */
export async function runProbeTool(
  args: string[],
  opts: ProbeOptions & { maxOutputBytes?: number | undefined },
): Promise<RunResult> {
  return run(opts.ffprobePath ?? 'ffprobe', args, opts);
}

/** Runs `tool` (ffprobe or ffmpeg) as {@link runProbeTool} does: in the sandbox, with a timeout, cancellable. */
export async function runMediaTool(
  tool: string,
  args: string[],
  opts: ProbeOptions & { maxOutputBytes?: number | undefined },
): Promise<RunResult> {
  return run(tool, args, opts);
}

async function run(
  tool: string,
  args: string[],
  opts: ProbeOptions & { maxOutputBytes?: number | undefined },
): Promise<RunResult> {
  const maxOutput = opts.maxOutputBytes ?? MAX_JSON_BYTES;
  const sandbox = opts.sandbox ?? defaultSandbox;
  const wrappers = await sandbox.wrappers();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const signal = opts.signal;
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = sandbox.spawn(wrappers, tool, args, {
      fileSizeBytes: PROBE_FILE_LIMIT_BYTES,
      cpuSeconds: Math.ceil(timeoutMs / 1000) * availableParallelism() + 10,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    const err = new TextTail();
    let timedOut = false;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(() => reject(signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes <= maxOutput) out.push(b);
      else child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => err.push(s));
    child.on('error', (e) =>
      finish(() => reject(new MediaToolError(`could not run ${tool}: ${e.message}`, { cause: e }))),
    );
    child.on('close', (code) => {
      if (outBytes > maxOutput)
        return finish(() => resolve({ code: code ?? 1, stdout: '', stderr: 'ffprobe output too large', timedOut }));
      finish(() => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.toString(), timedOut }));
    });
  });
}

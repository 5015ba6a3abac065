import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegProgressParser, toTranscodeProgress, type TranscodeProgress } from './ffmpeg-progress.parser.js';
import { TextTail, summarizeStderr } from './ffmpeg-stderr.js';
import { MediaToolError, TranscodeCancelledError, TranscodeError, TranscodeStalledError } from './media.errors.js';
import { buildTranscodeArgs, computeOutputSize, hlsRungs, type FrameSize, type TranscodeArgsInput } from './transcode-args.js';

/** A transcode request: what to encode, how, and how to watch and stop it. */
export interface TranscodeOptions extends TranscodeArgsInput {
  /** Called for every progress block ffmpeg prints (about twice a second); not throttled. */
  onProgress?: ((progress: TranscodeProgress) => void) | undefined;
  /** Aborting stops ffmpeg (SIGTERM, then SIGKILL after `killGraceMs`) and rejects with {@link TranscodeCancelledError}. */
  signal?: AbortSignal | undefined;
  /** No progress block for this long means ffmpeg is stuck: kill it, reject with {@link TranscodeStalledError}. Default 120 s; 0 turns the watchdog off. */
  stallTimeoutMs?: number | undefined;
  /** How long ffmpeg gets after SIGTERM before SIGKILL. Default 2 s. */
  killGraceMs?: number | undefined;
  /** The ffmpeg binary; default `ffmpeg` on PATH. */
  ffmpegPath?: string | undefined;
}

/** What a finished encode produced. */
export interface TranscodeResult {
  /** Duration written, from ffmpeg's last reported position (the probed duration if it gave none). */
  durationSeconds: number;
  /** Output frame size, as chosen by `computeOutputSize` (the largest rung for HLS); null for audio. */
  width: number | null;
  height: number | null;
  /** Wall-clock time the encode took. */
  elapsedSeconds: number;
}

const DEFAULT_STALL_MS = 120_000;
const DEFAULT_GRACE_MS = 2_000;

/**
 * Encodes `input` to `output` (a file, or a directory for HLS and thumbnails, written in place: give a temporary path and rename it when
 * this resolves) with the arguments of {@link buildTranscodeArgs}, reporting progress as it goes.
 * ffmpeg runs as a child process without a shell, so the caller's event loop stays free. Rejects
 * with {@link TranscodeError} (exit code and the last 4 KB of stderr), {@link TranscodeCancelledError},
 * {@link TranscodeStalledError}, {@link MediaToolError} when ffmpeg cannot start, or a TypeError
 * when `media` has no video stream. Cancelled and stalled encodes settle only once ffmpeg has exited.
 */
export async function transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
  // HLS and thumbnails write a directory: `output` and HLS's per-rung folders must exist.
  if (opts.preset.kind === 'hls') {
    for (let i = 0; i < hlsRungs(opts.media, opts.preset).length; i++) await mkdir(path.join(opts.output, `v${i}`), { recursive: true });
  } else if (opts.preset.kind === 'thumbnails') {
    await mkdir(opts.output, { recursive: true });
  }
  return run(opts);
}

/** The frame size of the main output. */
function outputSize(opts: TranscodeOptions): FrameSize | null {
  const video = opts.media.video;
  if (!video) return null;
  const display = { width: video.displayWidth, height: video.displayHeight };
  switch (opts.preset.kind) {
    case 'mp4':
    case 'webm':
      return computeOutputSize(display, opts.preset.video.height);
    case 'hls':
      return hlsRungs(opts.media, opts.preset)[0]?.size ?? null;
    case 'thumbnails':
      return computeOutputSize(display, opts.preset.height);
    case 'audio':
      return null;
  }
}

function run(opts: TranscodeOptions): Promise<TranscodeResult> {
  if (opts.signal?.aborted) return Promise.reject(new TranscodeCancelledError('the encode was cancelled before it started', null, ''));
  let args: string[];
  try {
    args = buildTranscodeArgs(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  const size = outputSize(opts);
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const graceMs = opts.killGraceMs ?? DEFAULT_GRACE_MS;
  const tool = opts.ffmpegPath ?? 'ffmpeg';
  const started = performance.now();

  return new Promise<TranscodeResult>((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const parser = new FfmpegProgressParser();
    const stderr = new TextTail(4096);
    let lastOutTime: number | null = null;
    let stopping: { reason: 'cancel' } | { reason: 'stall' } | { reason: 'error'; error: unknown } | null = null;
    let stallTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const stop = (why: NonNullable<typeof stopping>): void => {
      // Once ffmpeg has exited, the close handler settles the outcome; a late abort changes nothing.
      if (stopping || settled || child.exitCode !== null || child.signalCode !== null) return;
      stopping = why;
      clearTimeout(stallTimer);
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    const armWatchdog = (): void => {
      if (stallMs <= 0 || stopping) return;
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => stop({ reason: 'stall' }), stallMs);
    };
    const onAbort = (): void => stop({ reason: 'cancel' });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    armWatchdog();

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const block of parser.push(chunk)) {
        armWatchdog();
        if (block.outTimeSeconds !== null) lastOutTime = block.outTimeSeconds;
        if (stopping) continue;
        try {
          opts.onProgress?.(toTranscodeProgress(block, opts.media.durationSeconds, (performance.now() - started) / 1000));
        } catch (error) {
          // A throwing callback would otherwise become an uncaught exception in this stream handler.
          stop({ reason: 'error', error });
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

    child.on('error', (err) => {
      if (child.pid === undefined) settle(() => reject(new MediaToolError(`could not run ${tool}: ${err.message}`, { cause: err })));
    });
    // A stopped ffmpeg settles on exit: its pipes may stay open if it left children behind.
    child.on('exit', (code) => {
      if (!stopping) return;
      const tail = stderr.toString();
      const why = stopping;
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => {
        if (why.reason === 'cancel') reject(new TranscodeCancelledError('the encode was cancelled; ffmpeg stopped', code, tail));
        else if (why.reason === 'stall') reject(new TranscodeStalledError(`ffmpeg reported no progress for ${stallMs / 1000} s and was killed`, code, tail));
        else reject(why.error);
      });
    });
    // Otherwise wait for close, so the last progress block (progress=end) has been read.
    child.on('close', (code, signal) => {
      if (stopping) return;
      const tail = stderr.toString();
      settle(() => {
        if (code === 0) {
          resolve({ durationSeconds: lastOutTime ?? opts.media.durationSeconds, width: size?.width ?? null, height: size?.height ?? null, elapsedSeconds: (performance.now() - started) / 1000 });
          return;
        }
        const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `failed with exit code ${code}`;
        const reason = summarizeStderr(tail, { input: opts.input, output: opts.output });
        reject(new TranscodeError(`ffmpeg ${how}${reason ? `: ${reason}` : ''}`, code, tail));
      });
    });
  });
}

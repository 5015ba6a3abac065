import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { FfmpegProgressParser, toTranscodeProgress, type TranscodeProgress } from './ffmpeg-progress.parser.js';
import { TextTail, summarizeStderr } from './ffmpeg-stderr.js';
import { cpuSecondsFor, outputFileLimitBytes } from './encode-limits.js';
import {
  MediaToolError,
  TranscodeBudgetExceededError,
  TranscodeCancelledError,
  TranscodeError,
  TranscodeStalledError,
} from './media.errors.js';
import {
  defaultSandbox,
  type MediaChild,
  type MediaSandbox,
  type ProcessLimits,
  type SandboxWrappers,
} from './media-sandbox.js';
import type { MediaInfo } from './media-info.js';
import {
  buildTranscodeArgs,
  computeOutputSize,
  hlsRungs,
  videoFilter,
  type FrameSize,
  type TranscodeArgsInput,
} from './transcode-args.js';

const execFileAsync = promisify(execFile);

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
  /**
   * Wall-clock budget from ffmpeg's start: past it ffmpeg is killed and the encode rejects with
   * {@link TranscodeBudgetExceededError}. Also sizes the CPU-time limit. Unset = no budget.
   */
  budgetMs?: number | undefined;
  /** Environment, limits and priority ffmpeg runs with; default {@link defaultSandbox}. */
  sandbox?: MediaSandbox | undefined;
  /**
   * The longest input an early ffmpeg may be given: its file-size and CPU limits are set at spawn,
   * before the probe says how long the input is. Default 6 h.
   */
  maxDurationSeconds?: number | undefined;
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
const DEFAULT_MAX_DURATION_S = 6 * 3600;

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
    for (let i = 0; i < hlsRungs(opts.media, opts.preset).length; i++)
      await mkdir(path.join(opts.output, `v${i}`), { recursive: true });
  } else if (opts.preset.kind === 'thumbnails') {
    await mkdir(opts.output, { recursive: true });
  }
  return run(opts);
}

/** The frame size of the main output. */
function outputSize(opts: Pick<TranscodeOptions, 'preset' | 'media'>): FrameSize | null {
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
  if (opts.signal?.aborted)
    return Promise.reject(new TranscodeCancelledError('the encode was cancelled before it started', null, ''));
  let args: string[];
  try {
    args = buildTranscodeArgs(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  const sandbox = opts.sandbox ?? defaultSandbox;
  const limits = processLimits(opts, opts.media.durationSeconds, opts.budgetMs);
  return sandbox.wrappers().then((wrappers) => {
    const started = execute(args, opts, { media: opts.media, onProgress: opts.onProgress }, wrappers, limits);
    if (opts.budgetMs !== undefined) started.setBudget(opts.budgetMs);
    return started.done;
  });
}

/** The kernel limits of one encode: files per its preset and duration, CPU per its budget. */
function processLimits(
  opts: Pick<TranscodeOptions, 'preset'>,
  durationSeconds: number,
  budgetMs: number | undefined,
): ProcessLimits {
  return {
    fileSizeBytes: outputFileLimitBytes(opts.preset, durationSeconds),
    cpuSeconds: budgetMs !== undefined ? cpuSecondsFor(budgetMs, availableParallelism()) : undefined,
  };
}

/** What an encode reports with, known at spawn for a plain encode, and only later for an early one. */
interface EncodeState {
  media: MediaInfo | null;
  onProgress: TranscodeOptions['onProgress'];
}

type ExecuteOptions = Pick<
  TranscodeOptions,
  'preset' | 'input' | 'output' | 'signal' | 'stallTimeoutMs' | 'killGraceMs' | 'ffmpegPath' | 'sandbox'
>;

/** A running ffmpeg: its process, its outcome, and a way to give it its budget once that is known. */
interface Execution {
  child: MediaChild;
  done: Promise<TranscodeResult>;
  /** Arms the wall-clock budget, counted from the spawn. */
  setBudget(budgetMs: number): void;
}

/** Spawns ffmpeg with `args` in the sandbox and watches it: progress, the stall watchdog, the budget, cancel, and its exit. */
function execute(
  args: string[],
  opts: ExecuteOptions,
  state: EncodeState,
  wrappers: SandboxWrappers,
  limits: ProcessLimits,
): Execution {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const graceMs = opts.killGraceMs ?? DEFAULT_GRACE_MS;
  const tool = opts.ffmpegPath ?? 'ffmpeg';
  const started = performance.now();
  const child = (opts.sandbox ?? defaultSandbox).spawn(wrappers, tool, args, limits);
  let setBudget: (budgetMs: number) => void = () => undefined;

  const done = new Promise<TranscodeResult>((resolve, reject) => {
    const parser = new FfmpegProgressParser();
    const stderr = new TextTail(4096);
    let lastOutTime: number | null = null;
    let stopping:
      | { reason: 'cancel' }
      | { reason: 'stall' }
      | { reason: 'budget'; budgetMs: number }
      | { reason: 'error'; error: unknown }
      | null = null;
    let stallTimer: NodeJS.Timeout | undefined;
    let budgetTimer: NodeJS.Timeout | undefined;
    let sawProgress = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      clearTimeout(budgetTimer);
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
    setBudget = (budgetMs) => {
      if (settled) return;
      clearTimeout(budgetTimer);
      budgetTimer = setTimeout(
        () => stop({ reason: 'budget', budgetMs }),
        Math.max(0, budgetMs - (performance.now() - started)),
      );
    };

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const block of parser.push(chunk)) {
        sawProgress = true;
        armWatchdog();
        if (block.outTimeSeconds !== null) lastOutTime = block.outTimeSeconds;
        if (stopping || !state.media) continue;
        try {
          state.onProgress?.(
            toTranscodeProgress(block, state.media.durationSeconds, (performance.now() - started) / 1000),
          );
        } catch (error) {
          // A throwing callback would otherwise become an uncaught exception in this stream handler.
          stop({ reason: 'error', error });
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));

    child.on('error', (err) => {
      if (child.pid === undefined)
        settle(() => reject(new MediaToolError(`could not run ${tool}: ${err.message}`, { cause: err })));
    });
    // A stopped ffmpeg settles on exit: its pipes may stay open if it left children behind.
    child.on('exit', (code) => {
      if (!stopping) return;
      const tail = stderr.toString();
      const why = stopping;
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => {
        if (why.reason === 'cancel')
          reject(new TranscodeCancelledError('the encode was cancelled; ffmpeg stopped', code, tail));
        else if (why.reason === 'stall')
          reject(
            new TranscodeStalledError(`ffmpeg reported no progress for ${stallMs / 1000} s and was killed`, code, tail),
          );
        else if (why.reason === 'budget')
          reject(
            new TranscodeBudgetExceededError(
              `the encode took longer than its budget of ${Math.round(why.budgetMs / 100) / 10} s (derived from the output's duration) and was stopped`,
              code,
              tail,
            ),
          );
        else reject(why.error);
      });
    });
    // Otherwise wait for close, so the last progress block (progress=end) has been read.
    child.on('close', (code, signal) => {
      if (stopping) return;
      const tail = stderr.toString();
      settle(() => {
        if (code === 0 && state.media) {
          const size = outputSize({ preset: opts.preset, media: state.media });
          resolve({
            durationSeconds: lastOutTime ?? state.media.durationSeconds,
            width: size?.width ?? null,
            height: size?.height ?? null,
            elapsedSeconds: (performance.now() - started) / 1000,
          });
          return;
        }
        // setpriv, prlimit and nice exit 126/127 when they cannot run what they wrap (ffmpeg never does).
        if (!sawProgress && (code === 126 || code === 127)) {
          reject(new MediaToolError(`could not run ${tool}: ${tail.trim().split('\n').at(-1) ?? `exit code ${code}`}`));
          return;
        }
        const how =
          code === null
            ? `was killed by ${signal ?? 'a signal'}${signal === 'SIGXFSZ' ? ' (an output file reached its size limit)' : ''}`
            : `failed with exit code ${code}`;
        const reason = summarizeStderr(tail, { input: opts.input, output: opts.output });
        reject(new TranscodeError(`ffmpeg ${how}${reason ? `: ${reason}` : ''}`, code, tail));
      });
    });
  });
  return { child, done, setBudget: (ms) => setBudget(ms) };
}

/** What {@link startEarlyTranscode} needs: a transcode request without the probe result. */
export type EarlyTranscodeRequest = Omit<TranscodeOptions, 'media' | 'onProgress' | 'videoFilterScript'>;

/** An encode started before its input's probe result is known; see {@link startEarlyTranscode}. */
export interface EarlyTranscode {
  /**
   * Goes on with the probe result: when the early ffmpeg's arguments are those `opts` asks for, it
   * gets its video filter and this resolves as {@link transcode} would; otherwise it is stopped and
   * `opts` runs as a plain {@link transcode}. Call once.
   */
  run(opts: TranscodeOptions): Promise<TranscodeResult>;
  /** Stops the early ffmpeg (the probe failed, or the job ended first); resolves once it has exited. Safe to call at any time, and more than once. */
  abandon(): Promise<void>;
}

/**
 * What the early ffmpeg assumes until the probe says: a video stream (its size only reaches
 * ffmpeg through the filter) and mono or stereo audio or none, as nearly every input has.
 */
const ASSUMED_MEDIA: MediaInfo = {
  durationSeconds: 0,
  formatName: 'unknown',
  sizeBytes: 0,
  bitRate: null,
  video: { codec: 'unknown', width: 2, height: 2, displayWidth: 2, displayHeight: 2, fps: null, rotation: 0 },
  audio: { codec: 'unknown', channels: 2, sampleRate: 48_000 },
  transcodable: true,
};

/** How often the filter's writer looks for ffmpeg at the other end of the FIFO. */
const FIFO_POLL_MS = 2;

/**
 * Starts ffmpeg for an MP4 or WebM output while the input is still being probed. ffmpeg loads
 * (Debian's links over 200 shared libraries: about as long as ffprobe takes), opens the input and
 * then waits on a FIFO for its video filter, the one argument that needs the probe; {@link
 * EarlyTranscode.run} writes it there. The output is byte for byte what {@link transcode} writes
 * with the same request. Resolves to null (encode after the probe, as before) for other presets,
 * or when no FIFO can be made (`mkfifo` missing, or a file system without them).
 */
export async function startEarlyTranscode(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null> {
  if ((req.preset.kind !== 'mp4' && req.preset.kind !== 'webm') || req.signal?.aborted) return null;
  // An ffmpeg waiting on its FIFO would wait for ever if its worker were SIGKILLed, as nothing
  // else would ever write there: without setpriv to tie it to the worker, it is not started early.
  const wrappers = await (req.sandbox ?? defaultSandbox).wrappers();
  if (!wrappers.setpriv) return null;
  const fifo = `${req.output}.vf`;
  try {
    await execFileAsync('mkfifo', ['-m', '600', fifo]);
  } catch {
    return null;
  }
  return new FifoEarlyTranscode(req, fifo, wrappers);
}

class FifoEarlyTranscode implements EarlyTranscode {
  private readonly args: string[];
  private readonly child: MediaChild;
  private readonly done: Promise<TranscodeResult>;
  private readonly setBudget: (budgetMs: number) => void;
  private readonly stopper = new AbortController();
  private readonly state: EncodeState = { media: null, onProgress: undefined };
  /** ffmpeg has its filter: from here on it encodes like any other. */
  private fed = false;
  private used = false;
  private ended = false;

  constructor(
    private readonly req: EarlyTranscodeRequest,
    private readonly fifo: string,
    wrappers: SandboxWrappers,
  ) {
    this.args = buildTranscodeArgs({ ...req, media: ASSUMED_MEDIA, videoFilterScript: fifo });
    const signal = req.signal ? AbortSignal.any([req.signal, this.stopper.signal]) : this.stopper.signal;
    // Its limits are those of the longest input it may be given: the probe has not said yet.
    const limits = processLimits(req, req.maxDurationSeconds ?? DEFAULT_MAX_DURATION_S, req.budgetMs);
    const started = execute(this.args, { ...req, signal }, this.state, wrappers, limits);
    this.child = started.child;
    this.done = started.done;
    this.setBudget = started.setBudget;
    // Settled later by run() or abandon(); until then a failure must not count as unhandled. An
    // ffmpeg that could not even start has no exit code: `ended` covers it too.
    this.done.then(
      () => (this.ended = true),
      () => (this.ended = true),
    );
    // Blocked on the FIFO, ffmpeg sits out SIGTERM (its handler restarts the open), so a cancel
    // kills it at once; it has written nothing yet.
    req.signal?.addEventListener('abort', () => this.killIfWaiting(), { once: true });
  }

  async run(opts: TranscodeOptions): Promise<TranscodeResult> {
    if (this.used) throw new Error('EarlyTranscode.run may be called only once');
    this.used = true;
    let filter: string | null = null;
    let same = false;
    try {
      filter = videoFilter(opts);
      same = sameArgs(buildTranscodeArgs({ ...opts, videoFilterScript: this.fifo }), this.args);
    } catch {
      // The probe result does not fit the preset: the plain path reports why.
    }
    if (!filter || !same || this.exited()) {
      await this.abandon();
      return transcode(opts);
    }
    this.state.media = opts.media;
    this.state.onProgress = opts.onProgress;
    if (opts.budgetMs !== undefined) this.setBudget(opts.budgetMs);
    try {
      await this.feed(filter);
    } catch {
      // ffmpeg went away before it read its filter (it could not open the input, say): the plain
      // path runs it again and reports its own error.
      await this.abandon();
      return transcode(opts);
    }
    try {
      return await this.done;
    } finally {
      await rm(this.fifo, { force: true });
    }
  }

  async abandon(): Promise<void> {
    this.killIfWaiting();
    this.stopper.abort();
    await this.done.catch(() => undefined);
    await rm(this.fifo, { force: true });
  }

  private exited(): boolean {
    return this.ended || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private killIfWaiting(): void {
    if (!this.fed && !this.exited()) this.child.kill('SIGKILL');
  }

  /** Writes the filter once ffmpeg has the FIFO open (a non-blocking open fails with ENXIO until then). */
  private async feed(filter: string): Promise<void> {
    for (;;) {
      if (this.exited() || this.stopper.signal.aborted || this.req.signal?.aborted)
        throw new Error('ffmpeg stopped before it read its filter');
      let handle: FileHandle;
      try {
        handle = await open(this.fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
        await sleep(FIFO_POLL_MS);
        continue;
      }
      try {
        // Far below a pipe's buffer: one write, whole.
        this.fed = true;
        await handle.writeFile(filter);
      } finally {
        await handle.close();
      }
      return;
    }
  }
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

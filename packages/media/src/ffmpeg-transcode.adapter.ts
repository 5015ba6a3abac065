import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { isDirectoryPreset, STORYBOARD_SPRITE_FILE, STORYBOARD_VTT_FILE } from '@kiln/jobs';
import { FfmpegProgressParser, toTranscodeProgress, type TranscodeProgress } from './ffmpeg-progress.parser.js';
import { TextTail, summarizeStderr } from './ffmpeg-stderr.js';
import { cpuSecondsFor, outputFileLimitBytes } from './encode-limits.js';
import { finishCmafPlaylists } from './cmaf-playlists.js';
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
import { previewDurationSeconds } from './preview-args.js';
import { storyboardLayout } from './storyboard-args.js';
import { storyboardVtt } from './storyboard-vtt.js';
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
  /** Output frame size, as chosen by `computeOutputSize` (the largest rung for HLS, one tile for a storyboard); null for audio. */
  width: number | null;
  height: number | null;
  /** Wall-clock time the encode took. */
  elapsedSeconds: number;
}

const DEFAULT_STALL_MS = 120_000;
const DEFAULT_GRACE_MS = 2_000;
const DEFAULT_MAX_DURATION_S = 6 * 3600;

/**
 * Encodes `input` to `output` (a file, or a directory for HLS, CMAF, thumbnails and storyboards, written in place: give a temporary path and rename it when
 * this resolves) with the arguments of {@link buildTranscodeArgs}, reporting progress as it goes.
 * ffmpeg runs as a child process without a shell, so the caller's event loop stays free. A CMAF
 * output's playlists are then finished ({@link finishCmafPlaylists}: VOD, peak BANDWIDTHs). Rejects
 * with {@link TranscodeError} (exit code and the last 4 KB of stderr), {@link TranscodeCancelledError},
 * {@link TranscodeStalledError}, {@link MediaToolError} when ffmpeg cannot start, or a TypeError
 * when `media` has no video stream. Cancelled and stalled encodes settle only once ffmpeg has exited.
 */
export async function transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
  await prepareOutput(opts.preset, opts.output, opts.media);
  const result = await run(opts);
  if (opts.preset.kind === 'cmaf') await finishCmafPlaylists(opts.output);
  // The sprite exists once ffmpeg has succeeded: only then does the VTT that points into it.
  if (opts.preset.kind === 'storyboard')
    await writeFile(
      path.join(opts.output, STORYBOARD_VTT_FILE),
      storyboardVtt(storyboardLayout(opts.media, opts.preset), STORYBOARD_SPRITE_FILE),
    );
  if (opts.preset.kind === 'preview')
    return { ...result, durationSeconds: previewDurationSeconds(opts.media.durationSeconds, opts.preset) };
  // ffmpeg's last time is the last cue's; the tracks span the input.
  if (opts.preset.kind === 'captions') return { ...result, durationSeconds: opts.media.durationSeconds };
  return result;
}

/** Makes the directories an output writes into: HLS's `output` and per-rung folders, the `output` of the other directory presets. */
export async function prepareOutput(
  preset: TranscodeOptions['preset'],
  output: string,
  media: MediaInfo,
): Promise<void> {
  if (preset.kind === 'hls') {
    for (let i = 0; i < hlsRungs(media, preset).length; i++)
      await mkdir(path.join(output, `v${i}`), { recursive: true });
  } else if (isDirectoryPreset(preset)) {
    await mkdir(output, { recursive: true });
  }
}

/** The frame size of an output (the largest rung for HLS); null for audio or an input without video. */
export function outputSize(opts: Pick<TranscodeOptions, 'preset' | 'media'>): FrameSize | null {
  const video = opts.media.video;
  if (!video) return null;
  const display = { width: video.displayWidth, height: video.displayHeight };
  switch (opts.preset.kind) {
    case 'mp4':
    case 'webm':
      return computeOutputSize(display, opts.preset.video.height);
    case 'hls':
    case 'cmaf':
      return hlsRungs(opts.media, opts.preset)[0]?.size ?? null;
    case 'thumbnails':
    case 'preview':
      return computeOutputSize(display, opts.preset.height);
    case 'storyboard':
      return storyboardLayout(opts.media, opts.preset).tile;
    case 'audio':
    case 'captions':
      return null;
  }
}

function run(opts: TranscodeOptions): Promise<TranscodeResult> {
  let args: string[];
  try {
    args = buildTranscodeArgs(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  return runFfmpeg(args, opts);
}

/**
 * Runs ffmpeg with arguments built elsewhere (chunk encodes, stitches) under the same watch as
 * {@link transcode}: sandbox and limits (by `preset` and `media`'s duration), progress, stall
 * watchdog, budget and cancel. `args` must print `-progress pipe:1`; `preset` and `media` also
 * give the result's frame size. `limits` replaces the kernel limits derived from `opts`.
 */
export function runFfmpeg(
  args: string[],
  opts: TranscodeOptions,
  limits: ProcessLimits = processLimits(opts, opts.media.durationSeconds, opts.budgetMs),
): Promise<TranscodeResult> {
  if (opts.signal?.aborted)
    return Promise.reject(new TranscodeCancelledError('the encode was cancelled before it started', null, ''));
  const sandbox = opts.sandbox ?? defaultSandbox;
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
  const tool = opts.ffmpegPath ?? 'ffmpeg';
  const started = performance.now();
  const child = (opts.sandbox ?? defaultSandbox).spawn(wrappers, tool, args, limits);
  const watch = new FfmpegWatch(child, tool, opts, state, started);
  return { child, done: watch.done, setBudget: (ms) => watch.setBudget(ms) };
}

/** Why an encode was stopped before ffmpeg ended by itself. */
type StopReason =
  | { reason: 'cancel' }
  | { reason: 'stall' }
  | { reason: 'budget'; budgetMs: number }
  | { reason: 'error'; error: unknown };

/**
 * Watches one running ffmpeg and settles `done` once: it reads progress and stderr, re-arms the
 * stall watchdog on every progress block, runs the budget timer, stops ffmpeg on cancel, stall,
 * budget or a throwing progress callback (SIGTERM, then SIGKILL after the grace period), and
 * interprets its exit. Every timer is cleared when it settles.
 */
class FfmpegWatch {
  readonly done: Promise<TranscodeResult>;
  private readonly stallMs: number;
  private readonly graceMs: number;
  private readonly parser = new FfmpegProgressParser();
  private readonly stderr = new TextTail(4096);
  private lastOutTime: number | null = null;
  private sawProgress = false;
  private stopping: StopReason | null = null;
  private settled = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private budgetTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private resolve: (result: TranscodeResult) => void = () => undefined;
  private reject: (error: unknown) => void = () => undefined;
  private readonly onAbort = (): void => this.stop({ reason: 'cancel' });

  constructor(
    private readonly child: MediaChild,
    private readonly tool: string,
    private readonly opts: ExecuteOptions,
    private readonly state: EncodeState,
    private readonly started: number,
  ) {
    this.stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
    this.graceMs = opts.killGraceMs ?? DEFAULT_GRACE_MS;
    this.done = new Promise<TranscodeResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.armWatchdog();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.on('error', (err) => this.onSpawnError(err));
    // A stopped ffmpeg settles on exit: its pipes may stay open if it left children behind.
    child.on('exit', (code) => this.onStoppedExit(code));
    // Otherwise wait for close, so the last progress block (progress=end) has been read.
    child.on('close', (code, signal) => this.onClose(code, signal));
  }

  /** Arms the wall-clock budget, counted from the spawn. */
  setBudget(budgetMs: number): void {
    if (this.settled) return;
    clearTimeout(this.budgetTimer);
    this.budgetTimer = setTimeout(
      () => this.stop({ reason: 'budget', budgetMs }),
      Math.max(0, budgetMs - (performance.now() - this.started)),
    );
  }

  private elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  private settle(fn: () => void): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.stallTimer);
    clearTimeout(this.budgetTimer);
    clearTimeout(this.killTimer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    fn();
  }

  private stop(why: StopReason): void {
    const { child } = this;
    // Once ffmpeg has exited, the close handler settles the outcome; a late abort changes nothing.
    if (this.stopping || this.settled || child.exitCode !== null || child.signalCode !== null) return;
    this.stopping = why;
    clearTimeout(this.stallTimer);
    child.kill('SIGTERM');
    this.killTimer = setTimeout(() => child.kill('SIGKILL'), this.graceMs);
  }

  private armWatchdog(): void {
    if (this.stallMs <= 0 || this.stopping) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.stop({ reason: 'stall' }), this.stallMs);
  }

  private onStdout(chunk: string): void {
    for (const block of this.parser.push(chunk)) {
      this.sawProgress = true;
      this.armWatchdog();
      if (block.outTimeSeconds !== null) this.lastOutTime = block.outTimeSeconds;
      if (this.stopping || !this.state.media) continue;
      try {
        this.state.onProgress?.(toTranscodeProgress(block, this.state.media.durationSeconds, this.elapsedSeconds()));
      } catch (error) {
        // A throwing callback would otherwise become an uncaught exception in this stream handler.
        this.stop({ reason: 'error', error });
      }
    }
  }

  private onSpawnError(err: Error): void {
    if (this.child.pid === undefined)
      this.settle(() => this.reject(new MediaToolError(`could not run ${this.tool}: ${err.message}`, { cause: err })));
  }

  private onStoppedExit(code: number | null): void {
    if (!this.stopping) return;
    const tail = this.stderr.toString();
    const why = this.stopping;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    this.settle(() => this.reject(stoppedError(why, code, tail, this.stallMs)));
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const tail = this.stderr.toString();
    this.settle(() => {
      const media = this.state.media;
      if (code === 0 && media) {
        const size = outputSize({ preset: this.opts.preset, media });
        this.resolve({
          durationSeconds: this.lastOutTime ?? media.durationSeconds,
          width: size?.width ?? null,
          height: size?.height ?? null,
          elapsedSeconds: this.elapsedSeconds(),
        });
      } else {
        this.reject(exitError({ code, signal, tail, sawProgress: this.sawProgress, tool: this.tool }, this.opts));
      }
    });
  }
}

/** The error an encode stopped on purpose rejects with, by why it was stopped. */
function stoppedError(why: StopReason, code: number | null, tail: string, stallMs: number): unknown {
  switch (why.reason) {
    case 'cancel':
      return new TranscodeCancelledError('the encode was cancelled; ffmpeg stopped', code, tail);
    case 'stall':
      return new TranscodeStalledError(
        `ffmpeg reported no progress for ${stallMs / 1000} s and was killed`,
        code,
        tail,
      );
    case 'budget':
      return new TranscodeBudgetExceededError(
        `the encode took longer than its budget of ${Math.round(why.budgetMs / 100) / 10} s (derived from the output's duration) and was stopped`,
        code,
        tail,
      );
    case 'error':
      return why.error;
  }
}

/** How an ffmpeg that nobody stopped ended without an output. */
interface FailedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
  sawProgress: boolean;
  tool: string;
}

/** The error of an encode whose ffmpeg ended by itself without success: it could not start, or it failed. */
function exitError(exit: FailedExit, opts: Pick<ExecuteOptions, 'input' | 'output'>): Error {
  const { code, signal, tail } = exit;
  // setpriv, prlimit and nice exit 126/127 when they cannot run what they wrap (ffmpeg never does).
  if (!exit.sawProgress && (code === 126 || code === 127))
    return new MediaToolError(`could not run ${exit.tool}: ${tail.trim().split('\n').at(-1) ?? `exit code ${code}`}`);
  const how =
    code === null
      ? `was killed by ${signal ?? 'a signal'}${signal === 'SIGXFSZ' ? ' (an output file reached its size limit)' : ''}`
      : `failed with exit code ${code}`;
  const reason = summarizeStderr(tail, { input: opts.input, output: opts.output });
  return new TranscodeError(`ffmpeg ${how}${reason ? `: ${reason}` : ''}`, code, tail);
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

import { probe } from './ffprobe.adapter.js';
import {
  startEarlyTranscode,
  transcode,
  type EarlyTranscode,
  type EarlyTranscodeRequest,
  type TranscodeOptions,
  type TranscodeResult,
} from './ffmpeg-transcode.adapter.js';
import { encodeBudgetMs, type EncodeBudget } from './encode-limits.js';
import type { MediaInfo } from './media-info.js';
import { MediaSandbox, type MediaSandboxOptions } from './media-sandbox.js';

/** What the worker needs from a media toolkit: read a file's streams, encode it to a preset. */
export interface MediaAdapter {
  /** See {@link probe}. */
  probe(path: string): Promise<MediaInfo>;
  /** See {@link transcode}. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult>;
  /** See {@link startEarlyTranscode}; a toolkit without it encodes only after the probe. */
  startEarly?(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null>;
}

/** Settings of {@link FfmpegMediaAdapter}; each has the default of the function it feeds. */
export interface FfmpegMediaAdapterOptions {
  ffmpegPath?: string | undefined;
  ffprobePath?: string | undefined;
  /** Default stall timeout for every encode (a request may override it). */
  stallTimeoutMs?: number | undefined;
  /** Default SIGTERM→SIGKILL grace for every encode. */
  killGraceMs?: number | undefined;
  /** ffprobe time limit. */
  probeTimeoutMs?: number | undefined;
  /** Decoders (ffprobe's and ffmpeg's) refuse frames of more pixels (`-max_pixels`). */
  maxPixels?: number | undefined;
  /** Each output's wall-clock budget, from its input's duration; unset = none. */
  budget?: EncodeBudget | undefined;
  /** The longest input accepted: sizes an early ffmpeg's limits before the probe. Default 6 h. */
  maxInputSeconds?: number | undefined;
  /** Environment, memory cap and priority of every ffmpeg and ffprobe. */
  sandbox?: MediaSandboxOptions | undefined;
}

/**
 * The {@link MediaAdapter} backed by the ffmpeg and ffprobe binaries: binds their paths and the
 * watchdog settings once (from the worker's config) so callers pass only the job's details.
 */
export class FfmpegMediaAdapter implements MediaAdapter {
  private readonly sandbox: MediaSandbox;

  constructor(private readonly options: FfmpegMediaAdapterOptions = {}) {
    this.sandbox = new MediaSandbox(options.sandbox);
  }

  /** Probes a local file with the configured ffprobe. */
  probe(path: string): Promise<MediaInfo> {
    return probe(path, {
      ffprobePath: this.options.ffprobePath,
      timeoutMs: this.options.probeTimeoutMs,
      maxPixels: this.options.maxPixels,
      sandbox: this.sandbox,
    });
  }

  /** Encodes with the configured ffmpeg; fields set in `opts` win over the adapter's defaults. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
    return transcode(this.withDefaults(opts, opts.media.durationSeconds));
  }

  /** Starts the configured ffmpeg before the probe result is known (MP4 and WebM); see {@link startEarlyTranscode}. */
  async startEarly(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null> {
    // Until the probe, the budget (and so the CPU limit) is that of the longest input accepted.
    const early = await startEarlyTranscode(this.withDefaults(req, this.options.maxInputSeconds));
    return (
      early && {
        run: (opts) => early.run(this.withDefaults(opts, opts.media.durationSeconds)),
        abandon: () => early.abandon(),
      }
    );
  }

  private withDefaults<T extends Omit<EarlyTranscodeRequest, 'input' | 'output' | 'preset'>>(
    opts: T,
    durationSeconds: number | undefined,
  ): T {
    const { ffmpegPath, stallTimeoutMs, killGraceMs, maxPixels, budget, maxInputSeconds } = this.options;
    const budgetMs = budget && durationSeconds !== undefined ? encodeBudgetMs(durationSeconds, budget) : undefined;
    return {
      ...opts,
      ffmpegPath: opts.ffmpegPath ?? ffmpegPath,
      stallTimeoutMs: opts.stallTimeoutMs ?? stallTimeoutMs,
      killGraceMs: opts.killGraceMs ?? killGraceMs,
      maxPixels: opts.maxPixels ?? maxPixels,
      budgetMs: opts.budgetMs ?? budgetMs,
      maxDurationSeconds: opts.maxDurationSeconds ?? maxInputSeconds,
      sandbox: opts.sandbox ?? this.sandbox,
    };
  }
}

import { probe } from './ffprobe.adapter.js';
import { startEarlyTranscode, transcode, type EarlyTranscode, type EarlyTranscodeRequest, type TranscodeOptions, type TranscodeResult } from './ffmpeg-transcode.adapter.js';
import type { MediaInfo } from './media-info.js';

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
}

/**
 * The {@link MediaAdapter} backed by the ffmpeg and ffprobe binaries: binds their paths and the
 * watchdog settings once (from the worker's config) so callers pass only the job's details.
 */
export class FfmpegMediaAdapter implements MediaAdapter {
  constructor(private readonly options: FfmpegMediaAdapterOptions = {}) {}

  /** Probes a local file with the configured ffprobe. */
  probe(path: string): Promise<MediaInfo> {
    return probe(path, { ffprobePath: this.options.ffprobePath, timeoutMs: this.options.probeTimeoutMs });
  }

  /** Encodes with the configured ffmpeg; fields set in `opts` win over the adapter's defaults. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
    return transcode(this.withDefaults(opts));
  }

  /** Starts the configured ffmpeg before the probe result is known (MP4 and WebM); see {@link startEarlyTranscode}. */
  async startEarly(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null> {
    const early = await startEarlyTranscode(this.withDefaults(req));
    return early && { run: (opts) => early.run(this.withDefaults(opts)), abandon: () => early.abandon() };
  }

  private withDefaults<T extends Pick<TranscodeOptions, 'ffmpegPath' | 'stallTimeoutMs' | 'killGraceMs'>>(opts: T): T {
    const { ffmpegPath, stallTimeoutMs, killGraceMs } = this.options;
    return { ...opts, ffmpegPath: opts.ffmpegPath ?? ffmpegPath, stallTimeoutMs: opts.stallTimeoutMs ?? stallTimeoutMs, killGraceMs: opts.killGraceMs ?? killGraceMs };
  }
}

import { probe } from './ffprobe.adapter.js';
import { transcode, type TranscodeOptions, type TranscodeResult } from './ffmpeg-transcode.adapter.js';
import type { MediaInfo } from './media-info.js';

/** What the worker needs from a media toolkit: read a file's streams, encode it to a preset. */
export interface MediaAdapter {
  /** See {@link probe}. */
  probe(path: string): Promise<MediaInfo>;
  /** See {@link transcode}. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult>;
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
    const { ffmpegPath, stallTimeoutMs, killGraceMs } = this.options;
    return transcode({
      ...opts,
      ffmpegPath: opts.ffmpegPath ?? ffmpegPath,
      stallTimeoutMs: opts.stallTimeoutMs ?? stallTimeoutMs,
      killGraceMs: opts.killGraceMs ?? killGraceMs,
    });
  }
}

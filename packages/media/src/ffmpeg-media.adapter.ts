import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseScan, scanArgs, type FrameScan } from './chunk-args.js';
import { probe, runMediaTool, runProbeTool } from './ffprobe.adapter.js';
import { parseLoudnormJson, type LoudnessPlan, type LoudnessTarget } from './loudness.js';
import { MediaProbeError, TranscodeCancelledError, TranscodeError } from './media.errors.js';
import {
  runFfmpeg,
  startEarlyTranscode,
  transcode,
  type EarlyTranscode,
  type EarlyTranscodeRequest,
  type TranscodeOptions,
  type TranscodeResult,
} from './ffmpeg-transcode.adapter.js';
import { encodeBudgetMs, type EncodeBudget } from './encode-limits.js';
import { transcodeGroup, type GroupTranscodeOptions } from './one-decode.adapter.js';
import type { MediaInfo } from './media-info.js';
import { clipInput, inputArgs, loudnessMeasureArgs, type InputRange } from './transcode-args.js';
import { MediaSandbox, type MediaSandboxOptions } from './media-sandbox.js';
import { addCaptionTracks, CAPTIONS_DIR, captionOutputArgs, captionTracks } from './captions.js';
import { placeWatermark, WATERMARK_MAX_SIDE, type WatermarkImage } from './watermark.js';

const SCAN_TIMEOUT_MS = 600_000;
const SCAN_MAX_BYTES = 512 * 1024 * 1024;

/** The part of an input a job encodes: from `startSeconds` to `endSeconds` (past the input's end: to its end). */
export interface SourceClip {
  startSeconds: number;
  endSeconds: number;
}

/** What an encode of a {@link MediaSource} reads of it: a clip, the loudness its audio is brought to, the watermark on its picture. */
interface SourcePart {
  clip?: SourceClip | undefined;
  /** Two-pass `loudnorm`: the source measures its audio (of the clip) once for every encode asking for this target. */
  loudness?: LoudnessTarget | undefined;
  /** Laid over the picture (placed by the source on its frames), before each output's scaling. */
  watermark?: WatermarkImage | undefined;
}

/** An image's own size, from {@link FfmpegMediaAdapter.probeImage}. */
export interface ImageSize {
  width: number;
  height: number;
}

/** The image formats a watermark may be (ffprobe's decoder names). */
const IMAGE_CODECS: ReadonlySet<string> = new Set(['png', 'mjpeg', 'webp']);

/** One encode of an open {@link MediaSource}: a transcode request without the input and its probe result, perhaps of a clip of it. */
export type SourceEncode = Omit<TranscodeOptions, 'input' | 'media' | 'range' | 'loudness' | 'watermark'> & SourcePart;

/** A one-decode encode of an open {@link MediaSource}: several outputs, without the input and its probe result. */
export type SourceGroupEncode = Omit<GroupTranscodeOptions, 'input' | 'media' | 'range' | 'loudness' | 'watermark'> &
  SourcePart;

/** The encode a caller will ask an opening source for first, straight after the probe. */
export type FirstEncode = Omit<SourceEncode, 'onProgress' | 'videoFilterScript'>;

/** A local input, probed and ready to encode to any number of outputs, one after another. */
export interface MediaSource {
  /** The input's probe result. */
  readonly info: MediaInfo;
  /** Encodes the input to one output; see {@link transcode}. */
  transcode(req: SourceEncode): Promise<TranscodeResult>;
  /** Encodes the input to several outputs from one decode; see {@link transcodeGroup}. */
  transcodeGroup(req: SourceGroupEncode): Promise<TranscodeResult[]>;
  /** Releases what the source holds (work begun for a first encode never asked for). Safe to call twice. */
  close(): Promise<void>;
}

/** What the worker needs from a media toolkit: read a file's streams, encode it to presets. */
export interface MediaAdapter {
  /** See {@link probe}. */
  probe(path: string): Promise<MediaInfo>;
  /** See {@link transcode}. */
  transcode(opts: TranscodeOptions): Promise<TranscodeResult>;
  /**
   * Probes a local input and returns it as a {@link MediaSource}. `first`, when given, is the
   * encode the caller will ask for first, as soon as this resolves: a toolkit may begin it while it
   * probes (the result is the same). Close the source when done with it.
   */
  open(input: string, first?: FirstEncode): Promise<MediaSource>;
  /** See {@link FfmpegMediaAdapter.probeImage}. */
  probeImage(path: string, signal?: AbortSignal): Promise<ImageSize>;
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

  /**
   * Encodes to several outputs from one decode with the configured ffmpeg. Unless `opts` sets one,
   * the budget is the sum of the outputs' budgets: the one command does the work of all of them.
   */
  transcodeGroup(opts: GroupTranscodeOptions): Promise<TranscodeResult[]> {
    const { budget } = this.options;
    const budgetMs =
      opts.budgetMs ??
      (budget ? encodeBudgetMs(opts.media.durationSeconds, budget) * Math.max(1, opts.outputs.length) : undefined);
    return transcodeGroup(this.withDefaults({ ...opts, budgetMs }, undefined));
  }

  /**
   * Runs ffmpeg with arguments built elsewhere (a chunk's encode, a stitch) under the adapter's
   * limits and watch; `opts.media`'s duration sizes its budget. See {@link runFfmpeg}.
   */
  runArgs(args: string[], opts: TranscodeOptions): Promise<TranscodeResult> {
    return runFfmpeg(args, this.withDefaults(opts, opts.media.durationSeconds));
  }

  /**
   * The first `loudnorm` pass over the input's first audio track (of `range`, downmixed as the
   * outputs are): its measured loudness, for the second pass every output makes. Null for an input
   * without audio. Rejects with {@link TranscodeError} when ffmpeg cannot measure it, and with
   * {@link TranscodeCancelledError} on abort.
   */
  async measureLoudness(req: {
    input: string;
    media: MediaInfo;
    range?: InputRange | undefined;
    target: LoudnessTarget;
    signal?: AbortSignal | undefined;
  }): Promise<LoudnessPlan | null> {
    if (!req.media.audio) return null;
    const args = loudnessMeasureArgs({ ...req, maxPixels: this.options.maxPixels });
    let res: Awaited<ReturnType<typeof runMediaTool>>;
    try {
      res = await runMediaTool(this.options.ffmpegPath ?? 'ffmpeg', args, {
        sandbox: this.sandbox,
        signal: req.signal,
        // Decoding audio runs far faster than real time: a minute, plus the input's own length at worst.
        timeoutMs: 60_000 + Math.ceil(req.media.durationSeconds) * 1000,
      });
    } catch (err) {
      if (req.signal?.aborted) throw new TranscodeCancelledError('the loudness measurement was cancelled', null, '');
      throw err;
    }
    const measured = res.code === 0 && !res.timedOut ? parseLoudnormJson(res.stderr) : null;
    if (!measured)
      throw new TranscodeError(
        res.timedOut
          ? 'measuring the loudness of the audio took too long'
          : `could not measure the loudness of the audio: ${res.stderr.trim().split('\n').at(-1) ?? 'ffmpeg failed'}`,
        res.code,
        res.stderr.slice(-1000),
      );
    return { ...req.target, measured };
  }

  /**
   * Adds the input's text subtitles to a finished HLS or CMAF output as caption tracks: one ffmpeg
   * that demuxes the subtitle streams alone (cut to the clip, when `opts.range` says) and converts each
   * to a WebVTT file, then the playlists and manifests that list them ({@link addCaptionTracks}).
   * Nothing for other presets or an input without text subtitles. Rejects as an encode does.
   */
  async writeCaptions(opts: TranscodeOptions): Promise<void> {
    const { preset } = opts;
    if (preset.kind !== 'hls' && preset.kind !== 'cmaf') return;
    const tracks = captionTracks(opts.media);
    if (tracks.length === 0) return;
    await mkdir(path.join(opts.output, CAPTIONS_DIR), { recursive: true });
    const whole = inputArgs({ ...opts, range: undefined });
    await this.runArgs([...whole, ...captionOutputArgs(tracks, opts.output, opts.range)], {
      ...opts,
      onProgress: undefined,
    });
    // Cue time 0 is the first frame: where the first rendition's timestamps begin (MPEG-TS: 1.4 s).
    const first = path.join(opts.output, preset.kind === 'hls' ? 'v0/index.m3u8' : 'media_0.m3u8');
    const probed = await runProbeTool(
      ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', `file:${first}`],
      { ffprobePath: this.options.ffprobePath, sandbox: this.sandbox, signal: opts.signal },
    );
    const startSeconds = Number(probed.stdout.trim());
    await addCaptionTracks(opts.output, tracks, {
      durationSeconds: opts.media.durationSeconds,
      startSeconds: Number.isFinite(startSeconds) && startSeconds > 0 ? startSeconds : 0,
      dash: preset.kind === 'cmaf',
    });
  }

  /**
   * The size of a still image (a watermark): PNG, JPEG or WebP, one frame, at most
   * {@link WATERMARK_MAX_SIDE} pixels a side. Rejects with {@link MediaProbeError} naming what is
   * wrong with it otherwise.
   */
  async probeImage(path: string, signal?: AbortSignal): Promise<ImageSize> {
    const res = await runProbeTool(
      ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', '-protocol_whitelist', 'file', `file:${path}`],
      { ffprobePath: this.options.ffprobePath, sandbox: this.sandbox, signal, timeoutMs: this.options.probeTimeoutMs },
    );
    const refuse = (why: string) => new MediaProbeError(why, path);
    if (res.timedOut) throw refuse('probing the image took too long');
    if (res.code !== 0)
      throw refuse(`not an image ffprobe can read: ${res.stderr.trim().slice(-200) || 'ffprobe failed'}`);
    let streams: { codec_type?: string; codec_name?: string; width?: number; height?: number }[];
    try {
      streams = (JSON.parse(res.stdout) as { streams?: typeof streams }).streams ?? [];
    } catch {
      throw refuse('ffprobe printed no readable description of the image');
    }
    const image = streams[0];
    if (streams.length !== 1 || image?.codec_type !== 'video' || !IMAGE_CODECS.has(image.codec_name ?? ''))
      throw refuse(`not a PNG, JPEG or WebP image (${image?.codec_name ?? 'no picture'} found)`);
    const { width = 0, height = 0 } = image;
    if (width < 1 || height < 1) throw refuse('the image has no size');
    if (width > WATERMARK_MAX_SIDE || height > WATERMARK_MAX_SIDE)
      throw refuse(`the image is ${width}x${height}; at most ${WATERMARK_MAX_SIDE} pixels a side`);
    return { width, height };
  }

  /**
   * Lists the presentation time of every video frame of a local file (demuxing only, no decode):
   * what chunk plans are cut from. Rejects with {@link MediaProbeError} when ffprobe cannot.
   */
  async scanFrames(input: string, signal?: AbortSignal): Promise<FrameScan> {
    const res = await runProbeTool(scanArgs(input, this.options.maxPixels), {
      ffprobePath: this.options.ffprobePath,
      sandbox: this.sandbox,
      signal,
      // Demuxing hours of video takes a while; its listing is about 20 bytes a frame.
      timeoutMs: SCAN_TIMEOUT_MS,
      maxOutputBytes: SCAN_MAX_BYTES,
    });
    if (res.timedOut || res.code !== 0)
      throw new MediaProbeError(
        res.timedOut ? 'listing the frames took too long' : res.stderr.trim().slice(-300) || 'ffprobe failed',
        input,
      );
    try {
      return parseScan(res.stdout);
    } catch (err) {
      throw new MediaProbeError(err instanceof Error ? err.message : String(err), input);
    }
  }

  /**
   * Probes `input`; the first encode's ffmpeg (MP4 and WebM) starts beside ffprobe, as starting
   * either takes about as long as a short clip's probe: see {@link startEarlyTranscode}.
   */
  async open(input: string, first?: FirstEncode): Promise<MediaSource> {
    // An encode that changes the audio's loudness needs a measurement first: it never starts early.
    const early =
      first && !first.loudness && !first.watermark
        ? await this.startEarly({ ...first, loudness: undefined, watermark: undefined, input })
        : null;
    let info: MediaInfo;
    try {
      info = await this.probe(input);
    } catch (err) {
      await early?.abandon();
      throw err;
    }
    return new FfmpegSource(this, input, info, early && first ? { output: first.output, early } : null);
  }

  /** Starts the configured ffmpeg before the probe result is known (MP4 and WebM); see {@link startEarlyTranscode}. */
  private async startEarly(req: EarlyTranscodeRequest): Promise<EarlyTranscode | null> {
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

/** An input opened by {@link FfmpegMediaAdapter.open}: the encode started early serves the first request for its output. */
class FfmpegSource implements MediaSource {
  constructor(
    private readonly adapter: FfmpegMediaAdapter,
    private readonly input: string,
    readonly info: MediaInfo,
    private pending: { output: string; early: EarlyTranscode } | null,
  ) {}

  private readonly measured = new Map<string, Promise<LoudnessPlan | null>>();

  async transcode(req: SourceEncode): Promise<TranscodeResult> {
    const { clip, loudness, watermark, ...rest } = req;
    const part = this.part(clip);
    const opts: TranscodeOptions = {
      ...rest,
      input: this.input,
      ...part,
      ...(await this.loudness(part, req)),
      ...this.watermark(watermark),
    };
    // An encode begun early reads the whole input, with its audio and picture as they are.
    const early = this.pending?.output === req.output && !clip && !loudness && !watermark ? this.pending.early : null;
    let result: TranscodeResult;
    if (early) {
      this.pending = null;
      result = await early.run(opts);
    } else {
      await this.close();
      result = await this.adapter.transcode(opts);
    }
    await this.adapter.writeCaptions(opts);
    return result;
  }

  async transcodeGroup(req: SourceGroupEncode): Promise<TranscodeResult[]> {
    // An encode begun early for one output is not what this asks for.
    await this.close();
    const { clip, loudness: _target, watermark, ...rest } = req;
    const part = this.part(clip);
    const opts = {
      ...rest,
      input: this.input,
      ...part,
      ...(await this.loudness(part, req)),
      ...this.watermark(watermark),
    };
    const results = await this.adapter.transcodeGroup(opts);
    for (const o of opts.outputs) await this.adapter.writeCaptions({ ...opts, preset: o.preset, output: o.output });
    return results;
  }

  /** The watermark placed on this input's frames (none without video). */
  private watermark(mark: WatermarkImage | undefined) {
    const placed = mark ? placeWatermark(mark, this.info) : null;
    return placed ? { watermark: placed } : {};
  }

  /** The loudness plan of `req`'s target over `part` of the input, measured once per clip and target. */
  private async loudness(
    part: { media: MediaInfo; range?: InputRange },
    req: SourcePart & { signal?: AbortSignal | undefined },
  ): Promise<{ loudness?: LoudnessPlan }> {
    const target = req.loudness;
    if (!target) return {};
    const key = JSON.stringify([req.clip ?? null, target.targetLufs, target.truePeakDb]);
    let measured = this.measured.get(key);
    if (!measured) {
      measured = this.adapter.measureLoudness({ input: this.input, ...part, target, signal: req.signal });
      this.measured.set(key, measured);
      // A failed or cancelled measurement is not kept: a later encode measures again.
      measured.catch(() => this.measured.delete(key));
    }
    const plan = await measured;
    return plan ? { loudness: plan } : {};
  }

  /** The input as an encode reads it: whole, or the range of a clip (a TypeError when the clip starts past its end). */
  private part(clip: SourceClip | undefined): { media: MediaInfo; range?: InputRange } {
    if (!clip) return { media: this.info };
    const part = clipInput(this.info, clip);
    if (!part) throw new TypeError(`the clip starts at ${clip.startSeconds} s, past the input's end`);
    return part;
  }

  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = null;
    await pending?.early.abandon();
  }
}

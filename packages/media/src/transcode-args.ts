import type {
  AudioPreset,
  Av1Video,
  H264Video,
  HevcVideo,
  HlsPreset,
  Mp4Preset,
  Preset,
  ThumbnailsPreset,
  Vp9Video,
  WebmPreset,
} from '@kiln/jobs';
import { HLS_MASTER_FILE, THUMBNAIL_FILE_PATTERN } from '@kiln/jobs';
import { captionOutputArgs, captionTracks } from './captions.js';
import { cmafArgs } from './cmaf-args.js';
import { LADDER_X264, ladderRateArgs, segmentKeyframes } from './ladder-args.js';
import { INPUT_FORMAT_WHITELIST } from './ffprobe.adapter.js';
import type { MediaInfo } from './media-info.js';
import {
  loudnessFilter,
  loudnessMeasureFilter,
  loudnessSampleRate,
  type LoudnessPlan,
  type LoudnessTarget,
} from './loudness.js';
import { previewArgs, previewStart } from './preview-args.js';
import { storyboardArgs } from './storyboard-args.js';
import { sourceGraph, splitGraph, type SourceVideo } from './source-graph.js';
import type { WatermarkOverlay } from './watermark.js';

/** Output frame size in pixels. */
export interface FrameSize {
  width: number;
  height: number;
}

/** What {@link buildTranscodeArgs} needs: the pure part of a transcode request. */
export interface TranscodeArgsInput {
  /** Local file to read. */
  input: string;
  /** Local file to write (muxed per the preset, whatever its extension); a directory for HLS and thumbnails. */
  output: string;
  preset: Preset;
  /** The probe result of `input`; must have a video stream. */
  media: MediaInfo;
  /** ffmpeg `-threads`; omitted means ffmpeg's own choice (all cores). */
  threads?: number | undefined;
  /**
   * MP4 and WebM only: read the video filter ({@link videoFilter}) from this file (`-filter_script:v`)
   * instead of the command line (`-vf`). ffmpeg reads it after opening the input, so a FIFO here
   * lets ffmpeg start before the probe result that decides the filter is known.
   */
  videoFilterScript?: string | undefined;
  /** The decoder refuses frames of more pixels than this (ffmpeg's `-max_pixels` input option); unset = ffmpeg's own limit. */
  maxPixels?: number | undefined;
  /**
   * Only this part of the input is read (a job's clip): `-ss`/`-t` before the input, which ffmpeg
   * makes frame-accurate when it encodes (it decodes from the keyframe before and drops what is
   * before the start). `media` is then the part's: its duration is the range's.
   */
  range?: InputRange | undefined;
  /**
   * Normalise the audio's loudness to this target, by the input's measurement (the job's first
   * `loudnorm` pass, {@link loudnessMeasureArgs}): every output's audio gets the second pass.
   */
  loudness?: LoudnessPlan | undefined;
  /** Lay this watermark over every frame, before each output scales the picture to its own size. */
  watermark?: WatermarkOverlay | undefined;
}

/** A part of an input: from `startSeconds`, `durationSeconds` long. */
export interface InputRange {
  startSeconds: number;
  durationSeconds: number;
}

/**
 * The range a job's clip reads of an input probed as `media` (an end past the input's is its end),
 * and the input as that range shows it (its duration). Null when the clip starts at or past the end.
 */
export function clipInput(
  media: MediaInfo,
  clip: { startSeconds: number; endSeconds: number },
): { range: InputRange; media: MediaInfo } | null {
  const end = Math.min(clip.endSeconds, media.durationSeconds);
  const durationSeconds = end - clip.startSeconds;
  if (!(durationSeconds > 0)) return null;
  const video = media.video && { ...media.video, frameCount: null, streamDurationSeconds: null };
  return { range: { startSeconds: clip.startSeconds, durationSeconds }, media: { ...media, durationSeconds, video } };
}

/**
 * The output size for a picture of `display` size (after rotation and sample aspect ratio) under a
 * preset's `height` bound. The bound applies to the SHORTER side, the way "720p" is used for phone
 * video: landscape 1920x1080 → 1280x720, portrait 1080x1920 → 720x1280. The picture is never
 * upscaled, the aspect ratio is kept (to rounding), and both sides are even, as yuv420p requires.
 */
export function computeOutputSize(display: FrameSize, bound: number): FrameSize {
  const landscape = display.width >= display.height;
  const short = landscape ? display.height : display.width;
  const long = landscape ? display.width : display.height;
  const outShort = evenFloor(Math.min(bound, short));
  // Nearest even, but never past the source (an odd 321 may not become 322).
  const outLong = Math.min(evenFloor(long), Math.max(2, 2 * Math.round((long * outShort) / short / 2)));
  return landscape ? { width: outLong, height: outShort } : { width: outShort, height: outLong };
}

const COMMON_HEAD = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1', '-y'];
// Inputs with sparse audio or late streams otherwise fail with "Too many packets buffered".
const COMMON_TAIL = ['-sn', '-dn', '-max_muxing_queue_size', '1024'];
// Frames keep their own timestamps. The MP4 and HLS muxers would otherwise make ffmpeg emit
// constant-rate video, filling every gap in the input's timestamps with copies: a 720-frame file
// whose timestamps jump 100 s every other frame became 10 h of duplicates, encoded for hours.
const KEEP_TIMESTAMPS = ['-fps_mode', 'vfr'];

/**
 * ffmpeg arguments (without the binary) that encode `input` per `preset`. The input may only be
 * opened through the `file` and `pipe` protocols, so a playlist or concat file cannot make ffmpeg
 * fetch URLs or other files. Progress goes to stdout as `key=value` blocks.
 */
export function buildTranscodeArgs(req: TranscodeArgsInput): string[] {
  // HLS splits the decoded video into its rungs in a filter graph of its own; the others filter per output.
  const graph = req.preset.kind === 'hls' ? ownGraph(req) : null;
  // Subtitles are cut to a clip on the output side (see captionOutputArgs): the input is read whole.
  const head = inputArgs(req.preset.kind === 'captions' ? { ...req, range: undefined } : req);
  return [...head, ...(graph ? ['-filter_complex', graph.filter] : []), ...outputArgs(req, graph?.pads)];
}

/** The head of every command: logging, progress, the protocol and format allow-lists, the input. */
export function inputArgs(
  req: Pick<TranscodeArgsInput, 'input' | 'maxPixels' | 'media' | 'range'> &
    Partial<Pick<TranscodeArgsInput, 'preset'>>,
): string[] {
  return [
    ...COMMON_HEAD,
    '-protocol_whitelist',
    'file,pipe',
    '-format_whitelist',
    INPUT_FORMAT_WHITELIST,
    ...(req.maxPixels !== undefined ? ['-max_pixels', String(req.maxPixels)] : []),
    ...seekArgs(req),
    // `file:` keeps a name containing ":" (or starting with "-") from being read as a protocol or option.
    '-i',
    `file:${req.input}`,
  ];
}

/** The seek and length before the input: a clip's range, plus a preview's own start within it. */
function seekArgs(
  req: Pick<TranscodeArgsInput, 'media' | 'range'> & Partial<Pick<TranscodeArgsInput, 'preset'>>,
): string[] {
  const preview = req.preset ? previewStart(req.media.durationSeconds, req.preset) : 0;
  const start = (req.range?.startSeconds ?? 0) + preview;
  return [
    ...(start > 0 ? ['-ss', start.toFixed(3)] : []),
    ...(req.range ? ['-t', (req.range.durationSeconds - preview).toFixed(3)] : []),
  ];
}

/**
 * The filter chains an output applies to the decoded video after its {@link sourceFilter}, one per
 * video stream it writes (an HLS rung each); none for audio. A one-decode command feeds them all
 * from one `split`.
 */
export function videoBranches(req: Pick<TranscodeArgsInput, 'preset' | 'media'>): string[] {
  switch (req.preset.kind) {
    case 'mp4':
    case 'webm':
      return [renditionFilter(req.media, req.preset.video)];
    case 'hls':
      return hlsRungs(req.media, req.preset).map((r) => renditionFilter(req.media, r.rendition));
    case 'thumbnails':
      return [thumbnailFilter(req.media, req.preset)];
    case 'cmaf':
    case 'storyboard':
    case 'preview':
    case 'captions':
      throw new TypeError(`a ${req.preset.kind} output is encoded alone, not from a one-decode graph`);
    case 'audio':
      return [];
  }
}

/** HLS's own graph: the decoded video split into its rungs, pads `[v<i>]`. */
function ownGraph(req: TranscodeArgsInput): { filter: string; pads: string[] } {
  const branches = videoBranches(req);
  const pads = branches.map((_, i) => `[v${i}]`);
  return { filter: splitGraph(branches, pads, 's', req), pads };
}

/**
 * Everything after the input (and the filter graph) that writes one output: maps, encoders and
 * muxer, ending with the output path. `pads` are the graph's outputs carrying this output's video
 * (as {@link videoBranches} lists them); without them an MP4, WebM or thumbnails output filters
 * the input's first video stream itself (`-vf`).
 */
export function outputArgs(req: TranscodeArgsInput, pads?: readonly string[]): string[] {
  const threads = req.threads !== undefined ? ['-threads', String(req.threads)] : [];
  switch (req.preset.kind) {
    case 'mp4':
      return [
        ...mp4Args(req, req.preset, videoIn(req, pads)),
        ...threads,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        `file:${req.output}`,
      ];
    case 'webm':
      return [...webmArgs(req, req.preset, videoIn(req, pads)), ...threads, '-f', 'webm', `file:${req.output}`];
    case 'hls':
      // No -threads: it stood after the output path, where ffmpeg ignores it ("Trailing option(s)"),
      // so HLS encodes have always had x264's own thread count; a one-decode command keeps that.
      if (!pads) throw new TypeError('an HLS output needs its filter graph pads');
      return hlsArgs(req, req.preset, pads);
    case 'cmaf': {
      // CMAF writes its own graph (every rung at the top rung's aspect, as the DASH muxer needs): never in a one-decode command.
      const rungs = hlsRungs(req.media, req.preset);
      const shared = {
        output: req.output,
        rungs,
        hasAudio: req.media.audio !== null,
        downmix: audioTreatment(req, 'aac'),
        source: req,
      };
      return cmafArgs(req.preset, { ...shared, tail: [...KEEP_TIMESTAMPS, ...COMMON_TAIL, ...threads] });
    }
    case 'thumbnails':
      return thumbnailArgs(req, req.preset, pads?.[0]);
    case 'storyboard':
      return [...threads, ...withSourceVf(req, storyboardArgs(req, req.preset))];
    case 'preview':
      return [...threads, ...withSourceVf(req, previewArgs(req, req.preset, videoSize(req.media, req.preset.height)))];
    case 'audio':
      return [...audioArgs(req, req.preset), ...threads, '-movflags', '+faststart', '-f', 'mp4', `file:${req.output}`];
    case 'captions': {
      const tracks = captionTracks(req.media, '');
      if (tracks.length === 0) throw new TypeError('the input has no text subtitle stream');
      return captionOutputArgs(tracks, req.output, req.range);
    }
  }
}

/** An MP4 or WebM output's video: a pad of the job's graph, or the input's first video stream through its own filter. */
function videoIn(req: TranscodeArgsInput, pads: readonly string[] | undefined): string[] {
  // ffmpeg has already applied the rotation (autorotate) when frames reach either filter.
  return pads?.[0] ? ['-map', pads[0]] : ['-map', '0:v:0', ...videoFilterArgs(req)];
}

/**
 * The `-vf` filter of an MP4 or WebM encode (the input's {@link sourceFilter}, then scale to the
 * output size, square pixels); null for other presets.
 */
export function videoFilter(req: Pick<TranscodeArgsInput, 'preset' | 'media' | 'watermark'>): string | null {
  if (req.preset.kind !== 'mp4' && req.preset.kind !== 'webm') return null;
  return withSource(req, renditionFilter(req.media, req.preset.video));
}

/** Scale to a rendition's size (square pixels), after bringing faster input down to its `maxFps`. */
function renditionFilter(media: MediaInfo, rendition: { height: number; maxFps?: number | undefined }): string {
  const scale = scaleFilter(videoSize(media, rendition.height));
  const fps = media.video?.fps ?? null;
  // Only ever down: `fps` would also duplicate frames to reach a rate above the input's.
  return rendition.maxFps !== undefined && fps !== null && fps > rendition.maxFps + 0.01
    ? `fps=${rendition.maxFps},${scale}`
    : scale;
}

/** `args` with its `-vf` filter after the input's {@link sourceGraph}. */
function withSourceVf(source: SourceVideo, args: string[]): string[] {
  const at = args.indexOf('-vf');
  return at < 0 ? args : args.map((a, i) => (i === at + 1 ? withSource(source, a) : a));
}

/** `filter` after the input's {@link sourceGraph}. */
function withSource(source: SourceVideo, filter: string): string {
  return sourceGraph(source, '', filter);
}

function scaleFilter(size: FrameSize): string {
  return `scale=${size.width}:${size.height},setsar=1`;
}

/** `-vf <filter>`, or `-filter_script:v <file>` when the request says where ffmpeg reads it from. */
function videoFilterArgs(req: TranscodeArgsInput): string[] {
  // `file:` keeps a name containing ":" from being read as a protocol.
  return req.videoFilterScript !== undefined
    ? ['-filter_script:v', `file:${req.videoFilterScript}`]
    : ['-vf', videoFilter(req)!];
}

/** SVT-AV1 refuses a picture under 64 pixels on either side ("Source Width must be at least 64"). */
const AV1_MIN_SIDE = 64;
/** x265 refuses a picture under 16 pixels on either side ("Image size is too small"; 16x16 encodes, 16x14 does not). */
const HEVC_MIN_SIDE = 16;

/**
 * When `preset`'s video encoder cannot take the picture this input becomes (a side under its
 * minimum: SVT-AV1 needs 64 pixels), that output size and the minimum; null when it can, or when
 * the preset or the input has no video. The worker refuses such a job before encoding.
 */
export function outputTooSmall(preset: Preset, media: MediaInfo): { size: FrameSize; minSide: number } | null {
  if ((preset.kind !== 'mp4' && preset.kind !== 'webm') || !media.video) return null;
  const minSide = minVideoSide(preset.video);
  const size = videoSize(media, preset.video.height);
  return Math.min(size.width, size.height) < minSide ? { size, minSide } : null;
}

function minVideoSide(video: Mp4Preset['video'] | WebmPreset['video']): number {
  switch (video.codec) {
    case 'h264':
    case 'vp9':
      // computeOutputSize never goes under 2, which x264 and libvpx take.
      return 2;
    case 'hevc':
      return HEVC_MIN_SIDE;
    case 'av1':
      return AV1_MIN_SIDE;
  }
}

function videoSize(media: MediaInfo, bound: number): FrameSize {
  if (!media.video) throw new TypeError('the input has no video stream to encode');
  return computeOutputSize({ width: media.video.displayWidth, height: media.video.displayHeight }, bound);
}

function stereo(media: MediaInfo): string[] {
  return media.audio && media.audio.channels > 2 ? ['-ac', '2'] : [];
}

/**
 * What an output does to the input's audio before `encoder`: stereo at most (`-ac 2`), and the
 * second `loudnorm` pass when the job normalises loudness (none for an input without audio).
 */
function audioTreatment(req: Pick<TranscodeArgsInput, 'media' | 'loudness'>, encoder: 'aac' | 'opus'): string[] {
  const loudness =
    req.loudness && req.media.audio
      ? loudnessFilter(req.loudness, req.media, loudnessSampleRate(req.media, encoder))
      : null;
  return [...(loudness ? ['-af', loudness] : []), ...stereo(req.media)];
}

/**
 * ffmpeg arguments of a job's first loudness pass: the input's first audio track (of the clip's
 * range, downmixed as the outputs are) through `loudnorm` measuring only, to the null muxer. The
 * measurement is printed (JSON, info level) at the end of stderr: see `parseLoudnormJson`.
 */
export function loudnessMeasureArgs(
  req: Pick<TranscodeArgsInput, 'input' | 'maxPixels' | 'media' | 'range'> & { target: LoudnessTarget },
): string[] {
  const head = inputArgs(req);
  head[head.indexOf('-loglevel') + 1] = 'info';
  return [
    ...head,
    '-map',
    '0:a:0',
    '-vn',
    '-af',
    loudnessMeasureFilter(req.target, req.media),
    ...COMMON_TAIL,
    '-f',
    'null',
    '-',
  ];
}

/**
 * MP4: the preset's video codec, yuv420p, AAC when the input has audio. The scale filter, the
 * timestamps and the audio are the same for every codec; only the encoder's own options differ.
 */
function mp4Args(req: TranscodeArgsInput, preset: Mp4Preset, video: string[]): string[] {
  return [
    ...video,
    ...mp4VideoCodecArgs(preset.video, req.threads),
    '-pix_fmt',
    'yuv420p',
    ...KEEP_TIMESTAMPS,
    // `?`: an input without audio gives a video-only file (the same bytes `-an` gives), so only
    // the channel count in this command depends on the probe.
    '-map',
    '0:a:0?',
    '-c:a',
    'aac',
    '-b:a',
    `${preset.audio.bitrateKbps}k`,
    ...audioTreatment(req, 'aac'),
    ...COMMON_TAIL,
  ];
}

/** The encoder and its rate control for an MP4's video. */
function mp4VideoCodecArgs(video: Mp4Preset['video'], threads: number | undefined): string[] {
  switch (video.codec) {
    case 'h264':
      return h264Args(video);
    case 'hevc':
      return hevcArgs(video, threads);
    case 'av1':
      return av1Args(video, threads);
  }
}

/** H.264 (libx264): CRF with a `-maxrate` peak and a `-bufsize` of twice that, High profile. */
function h264Args(v: H264Video): string[] {
  return [
    '-c:v',
    'libx264',
    '-preset',
    v.x264Preset,
    '-crf',
    String(v.crf),
    '-maxrate',
    `${v.maxrateKbps}k`,
    '-bufsize',
    `${v.maxrateKbps * 2}k`,
    '-profile:v',
    'high',
  ];
}

/**
 * HEVC (libx265): CRF with a VBV peak (ffmpeg hands `-maxrate`/`-bufsize` to x265 as
 * `vbv-maxrate`/`vbv-bufsize`), Main profile, tagged `hvc1` (the sample entry Apple's players
 * require; ffmpeg's default `hev1` does not play in Safari or QuickTime). x265 sizes its own thread
 * pool from the machine's cores, so the thread count goes to it as `pools`; its log follows
 * ffmpeg's.
 */
function hevcArgs(v: HevcVideo, threads: number | undefined): string[] {
  return [
    '-c:v',
    'libx265',
    '-preset',
    v.x265Preset,
    '-crf',
    String(v.crf),
    '-maxrate',
    `${v.maxrateKbps}k`,
    '-bufsize',
    `${v.maxrateKbps * 2}k`,
    '-profile:v',
    'main',
    '-tag:v',
    'hvc1',
    '-x265-params',
    ['log-level=error', ...(threads !== undefined ? [`pools=${threads}`] : [])].join(':'),
  ];
}

/**
 * AV1 (SVT-AV1): CRF capped at the preset's peak. ffmpeg hands `-maxrate` to SVT-AV1 as its
 * capped-CRF maximum (SVT-AV1's log says `capped CRF`). No `-bufsize`: some ffmpeg versions divide
 * it by the target bit rate, which a CRF encode leaves at 0. SVT-AV1 ignores `-threads` and takes
 * every core, so the thread count also goes to it as `lp` (SVT-AV1 1.4: logical processors).
 */
function av1Args(v: Av1Video, threads: number | undefined): string[] {
  return [
    '-c:v',
    'libsvtav1',
    '-preset',
    String(v.svtPreset),
    '-crf',
    String(v.crf),
    '-maxrate',
    `${v.maxrateKbps}k`,
    ...(threads !== undefined ? ['-svtav1-params', `lp=${threads}`] : []),
  ];
}

/** WebM: VP9 or AV1 + Opus; the filter, timestamps and audio as in MP4. */
function webmArgs(req: TranscodeArgsInput, preset: WebmPreset, video: string[]): string[] {
  const v = preset.video;
  return [
    ...video,
    ...(v.codec === 'vp9' ? vp9Args(v) : av1Args(v, req.threads)),
    '-pix_fmt',
    'yuv420p',
    ...KEEP_TIMESTAMPS,
    '-map',
    '0:a:0?',
    '-c:a',
    'libopus',
    '-b:a',
    `${preset.audio.bitrateKbps}k`,
    ...audioTreatment(req, 'opus'),
    ...COMMON_TAIL,
  ];
}

/** VP9 (constrained quality, row multithreading, speed 5). */
function vp9Args(v: Vp9Video): string[] {
  return [
    '-c:v',
    'libvpx-vp9',
    '-crf',
    String(v.crf),
    '-b:v',
    `${Math.round(v.maxrateKbps * 0.6)}k`,
    '-maxrate',
    `${v.maxrateKbps}k`,
    '-bufsize',
    `${v.maxrateKbps * 2}k`,
    '-deadline',
    'good',
    '-cpu-used',
    '5',
    '-row-mt',
    '1',
  ];
}

/** The ladder rungs (HLS, CMAF) for an input: those not above its size, duplicates (after the no-upscale rule) dropped. */
export function hlsRungs(
  media: MediaInfo,
  preset: Pick<HlsPreset, 'renditions'>,
): { size: FrameSize; rendition: HlsPreset['renditions'][number] }[] {
  const seen = new Set<string>();
  const rungs: { size: FrameSize; rendition: HlsPreset['renditions'][number] }[] = [];
  for (const rendition of preset.renditions) {
    const size = videoSize(media, rendition.height);
    const key = `${size.width}x${size.height}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rungs.push({ size, rendition });
  }
  return rungs;
}

/**
 * The rungs (the graph's `pads`, one decode split into them), H.264 with `-maxrate`/`-bufsize` per
 * rung (else the master's BANDWIDTH is the audio rate alone) and keyframes forced on segment
 * boundaries (else `-hls_time` is ignored); writes `master.m3u8` and `v<N>/index.m3u8` + segments.
 */
function hlsArgs(req: TranscodeArgsInput, preset: HlsPreset, pads: readonly string[]): string[] {
  const rungs = hlsRungs(req.media, preset);
  const hasAudio = req.media.audio !== null;
  const maps = rungs.flatMap((_, i) => ['-map', pads[i]!, ...(hasAudio ? ['-map', '0:a:0'] : [])]);
  const streamMap = rungs.map((_, i) => (hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' ');
  return [
    ...maps,
    ...LADDER_X264,
    ...ladderRateArgs(rungs, hasAudio),
    ...segmentKeyframes(preset.segmentSeconds),
    ...KEEP_TIMESTAMPS,
    ...(hasAudio ? ['-c:a', 'aac', ...audioTreatment(req, 'aac')] : []),
    ...COMMON_TAIL,
    '-f',
    'hls',
    '-hls_time',
    String(preset.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_filename',
    `${req.output}/v%v/seg_%03d.ts`,
    '-master_pl_name',
    HLS_MASTER_FILE,
    '-var_stream_map',
    streamMap,
    `${req.output}/v%v/index.m3u8`,
  ];
}

/** `count` frames at evenly spaced times (the middle of each 1/count of the video), scaled. */
function thumbnailFilter(media: MediaInfo, preset: ThumbnailsPreset): string {
  const size = videoSize(media, preset.height);
  const rate = preset.count / Math.max(media.durationSeconds, 0.001);
  // round=down picks the frame at or after each time; eof_action=pass keeps the last pick, which
  // the default rounding placed past the end of the video (four thumbnails instead of five).
  return `fps=${rate.toFixed(6)}:start_time=${(0.5 / rate).toFixed(3)}:round=down:eof_action=pass,scale=${size.width}:${size.height},setsar=1`;
}

/** The thumbnails as JPEG, from the graph's `pad` or filtered here. */
function thumbnailArgs(req: TranscodeArgsInput, preset: ThumbnailsPreset, pad: string | undefined): string[] {
  return [
    ...(pad
      ? ['-map', pad, '-an']
      : ['-map', '0:v:0', '-an', '-vf', withSource(req, thumbnailFilter(req.media, preset))]),
    '-frames:v',
    String(preset.count),
    '-q:v',
    '3',
    ...COMMON_TAIL,
    '-f',
    'image2',
    `${req.output}/${THUMBNAIL_FILE_PATTERN}`,
  ];
}

/** The first audio track as AAC stereo, no video. */
function audioArgs(req: TranscodeArgsInput, preset: AudioPreset): string[] {
  if (!req.media.audio) throw new TypeError('the input has no audio stream');
  return [
    '-map',
    '0:a:0',
    '-vn',
    '-c:a',
    'aac',
    '-b:a',
    `${preset.audio.bitrateKbps}k`,
    ...audioTreatment(req, 'aac'),
    ...COMMON_TAIL,
  ];
}

function evenFloor(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}

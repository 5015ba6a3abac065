import type { AudioStreamInfo, MediaInfo, SubtitleStreamInfo, VideoStreamInfo } from './media-info.js';

/** The parts of `ffprobe -print_format json -show_format -show_streams` that Kiln reads. */
export interface FfprobeJson {
  format?: { format_name?: string; duration?: string; size?: string; bit_rate?: string; tags?: Record<string, string> };
  streams?: FfprobeStream[];
}

/** One entry of ffprobe's `streams` array (only the fields Kiln reads). */
export interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  channels?: number;
  sample_rate?: string;
  pix_fmt?: string;
  bit_rate?: string;
  field_order?: string;
  color_transfer?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
}

/**
 * Turns ffprobe's JSON into a {@link MediaInfo}. Pure, so the rotation, aspect-ratio and duration
 * rules can be tested without files. `fallbackSizeBytes` is used when the container has no size.
 */
export function parseFfprobeJson(json: FfprobeJson, fallbackSizeBytes = 0): MediaInfo {
  const streams = json.streams ?? [];
  // Cover art in audio files shows up as a one-frame "video" stream; it is not a video.
  const v = streams.find(
    (s) => s.codec_type === 'video' && s.disposition?.['attached_pic'] !== 1 && (s.width ?? 0) > 0,
  );
  const a = streams.find((s) => s.codec_type === 'audio');
  const durationSeconds = positive(json.format?.duration) ?? Math.max(0, ...streams.map(streamDuration));
  const video = v ? videoInfo(v) : null;
  return {
    durationSeconds,
    formatName: json.format?.format_name ?? 'unknown',
    sizeBytes: positive(json.format?.size) ?? fallbackSizeBytes,
    bitRate: positive(json.format?.bit_rate) ?? null,
    video,
    audio: a ? audioInfo(a) : null,
    transcodable: video !== null && durationSeconds > 0,
    subtitles: textSubtitles(streams),
  };
}

/** The subtitle codecs that are text, which ffmpeg converts to WebVTT (bitmap ones, DVD and PGS, would need OCR). */
const TEXT_SUBTITLE_CODECS: ReadonlySet<string> = new Set([
  'subrip',
  'srt',
  'ass',
  'ssa',
  'mov_text',
  'webvtt',
  'text',
]);

function textSubtitles(streams: readonly FfprobeStream[]): SubtitleStreamInfo[] {
  return streams
    .filter((s) => s.codec_type === 'subtitle')
    .map((s, index) => ({
      index,
      codec: s.codec_name ?? 'unknown',
      language: s.tags?.['language'] ?? null,
      title: s.tags?.['title'] ?? null,
    }))
    .filter((s) => TEXT_SUBTITLE_CODECS.has(s.codec));
}

function videoInfo(s: FfprobeStream): VideoStreamInfo {
  const width = s.width ?? 0;
  const height = s.height ?? 0;
  const rotation = rotationOf(s);
  const sar = ratio(s.sample_aspect_ratio, ':') ?? 1;
  const shownWidth = Math.max(1, Math.round(width * sar));
  const quarter = rotation === 90 || rotation === 270;
  return {
    codec: s.codec_name ?? 'unknown',
    width,
    height,
    displayWidth: quarter ? height : shownWidth,
    displayHeight: quarter ? shownWidth : height,
    fps: ratio(s.avg_frame_rate, '/') ?? ratio(s.r_frame_rate, '/') ?? null,
    rotation,
    frameCount: frameCountOf(s),
    streamDurationSeconds: streamDuration(s) || null,
    pixelFormat: s.pix_fmt ?? null,
    bitRate: positive(s.bit_rate) ?? null,
    interlaced: INTERLACED_ORDERS.includes(s.field_order ?? ''),
    hdr: s.color_transfer === 'smpte2084' ? 'pq' : s.color_transfer === 'arib-std-b67' ? 'hlg' : null,
  };
}

/** ffprobe's field orders of interlaced video (top or bottom field first, coded and displayed). */
const INTERLACED_ORDERS = ['tt', 'bb', 'tb', 'bt'];

function audioInfo(s: FfprobeStream): AudioStreamInfo {
  return {
    codec: s.codec_name ?? 'unknown',
    channels: s.channels ?? 0,
    sampleRate: positive(s.sample_rate) ?? 0,
    bitRate: positive(s.bit_rate) ?? null,
  };
}

/** Display-matrix rotation (ffmpeg ≥ 5), else the legacy `rotate` tag; snapped to quarter turns. */
function rotationOf(s: FfprobeStream): VideoStreamInfo['rotation'] {
  const fromMatrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const raw = fromMatrix ?? Number(s.tags?.['rotate'] ?? 0);
  if (!Number.isFinite(raw)) return 0;
  const quarter = ((Math.round(raw / 90) % 4) + 4) % 4;
  return ([0, 90, 180, 270] as const)[quarter] ?? 0;
}

/** `nb_frames` (MP4, MOV, AVI), else the statistics tag mkvmerge writes into Matroska files. */
function frameCountOf(s: FfprobeStream): number | null {
  const tag = Object.entries(s.tags ?? {}).find(([k]) => /^NUMBER_OF_FRAMES(-|$)/i.test(k))?.[1];
  const n = positive(s.nb_frames) ?? positive(tag);
  return n !== undefined && Number.isInteger(n) ? n : null;
}

function streamDuration(s: FfprobeStream): number {
  return positive(s.duration) ?? clockSeconds(s.tags?.['DURATION']) ?? 0;
}

/** Matroska keeps stream durations as a `DURATION` tag like `00:00:02.000000000`. */
function clockSeconds(value: string | undefined): number | undefined {
  const m = value ? /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!m) return undefined;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return seconds > 0 ? seconds : undefined;
}

/** `"30000/1001"` or `"4:3"` → a number; undefined for `0/0`, `N/A` and the like. */
function ratio(value: string | undefined, sep: string): number | undefined {
  if (!value) return undefined;
  const [n, d] = value.split(sep).map(Number);
  if (n === undefined || d === undefined || !(n > 0) || !(d > 0)) return undefined;
  return n / d;
}

function positive(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

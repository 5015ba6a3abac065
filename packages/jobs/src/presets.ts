/**
 * The encoding presets Kiln offers. A preset is data only: what the output should be. The
 * ffmpeg adapter in `@kiln/media` turns a preset plus a probed input into an ffmpeg command.
 */
export interface VideoRendition {
  /** Output height in pixels; the input is never upscaled, width follows the aspect ratio. */
  height: number;
  /** Constant rate factor (quality); lower is better and larger. */
  crf: number;
  /** Peak bitrate in kbit/s, used for `-maxrate`/`-bufsize` so players can pick a rung. */
  maxrateKbps: number;
  /** Frames per second at most (a job's output setting): faster input is brought down to this rate. */
  maxFps?: number | undefined;
}

/**
 * The pool of presets every worker runs: software encoders present in every ffmpeg build. A
 * preset in another pool (a slow codec, a hardware encoder) runs only on workers that list it in
 * `KILN_WORKER_POOLS`.
 */
export const DEFAULT_POOL = 'cpu';

/** What every preset has. */
interface PresetBase {
  id: string;
  description: string;
  /** The capability pool a worker must run to encode it ({@link DEFAULT_POOL} for plain software encodes). */
  pool: string;
}

/** H.264 video (libx264): plays everywhere. `crf` is x264's 0–51 scale. */
export interface H264Video extends VideoRendition {
  codec: 'h264';
  x264Preset: 'veryfast' | 'fast' | 'medium';
}

/**
 * HEVC video (libx265), tagged `hvc1` so Apple players take it: about the size of AV1 at the same
 * quality, played by Apple devices, smart TVs and hardware decoders, but not by Chromium or
 * Firefox. `crf` is x265's 0–51 scale.
 */
export interface HevcVideo extends VideoRendition {
  codec: 'hevc';
  x265Preset: 'veryfast' | 'faster' | 'fast' | 'medium';
}

/**
 * AV1 video (SVT-AV1): smaller than H.264 at the same quality, played by current browsers but not
 * by older devices. `crf` is SVT-AV1's 0–63 scale.
 */
export interface Av1Video extends VideoRendition {
  codec: 'av1';
  /** SVT-AV1's speed preset, 0 (slowest, best) to 13 (fastest). */
  svtPreset: number;
}

/** MP4 with fast start: H.264, HEVC or AV1 video, AAC audio. */
export interface Mp4Preset extends PresetBase {
  kind: 'mp4';
  extension: 'mp4';
  contentType: 'video/mp4';
  video: H264Video | HevcVideo | Av1Video;
  audio: { codec: 'aac'; bitrateKbps: number };
}

/** VP9 video (libvpx, constrained quality). `crf` is libvpx's 0–63 scale. */
export interface Vp9Video extends VideoRendition {
  codec: 'vp9';
}

/** WebM: VP9 or AV1 + Opus, for browsers that prefer open codecs. */
export interface WebmPreset extends PresetBase {
  kind: 'webm';
  extension: 'webm';
  contentType: 'video/webm';
  video: Vp9Video | Av1Video;
  audio: { codec: 'opus'; bitrateKbps: number };
}

/** One rung of a streaming ladder (HLS, CMAF): an H.264 rendition and the AAC rate that goes with it. */
export type LadderRendition = VideoRendition & { audioKbps: number };

/** HLS: a master playlist and several H.264 renditions, encoded from one decode. */
export interface HlsPreset extends PresetBase {
  kind: 'hls';
  /** The output is a directory; this is its entry file. */
  extension: 'm3u8';
  contentType: 'application/vnd.apple.mpegurl';
  segmentSeconds: number;
  renditions: LadderRendition[];
}

/**
 * CMAF: one set of fragmented-MP4 segments (an H.264 ladder, AAC) listed by both an HLS master
 * playlist and a DASH manifest, from one decode and one encode: HLS players (Apple devices, hls.js)
 * and DASH players (dash.js, ExoPlayer) stream the same files.
 */
export interface CmafPreset extends PresetBase {
  kind: 'cmaf';
  /** The output is a directory; its entry file is the HLS master playlist, the MPD is its sibling. */
  extension: 'm3u8';
  contentType: 'application/vnd.apple.mpegurl';
  segmentSeconds: number;
  renditions: LadderRendition[];
}

/** Still JPEG frames, evenly spaced over the input. */
export interface ThumbnailsPreset extends PresetBase {
  kind: 'thumbnails';
  extension: 'jpg';
  contentType: 'image/jpeg';
  count: number;
  height: number;
}

/** The audio track alone, as AAC in an M4A container. */
export interface AudioPreset extends PresetBase {
  kind: 'audio';
  extension: 'm4a';
  contentType: 'audio/mp4';
  audio: { codec: 'aac'; bitrateKbps: number };
}

/**
 * A storyboard for scrubbing previews, as Mux, JW Player and Video.js thumbnails use it: one JPEG
 * sprite of tiles taken at evenly spaced times, and a WebVTT file whose cues name each tile's
 * time range and place (`storyboard.jpg#xywh=x,y,w,h`). The output is a directory; the VTT is its
 * entry file.
 */
export interface StoryboardPreset extends PresetBase {
  kind: 'storyboard';
  /** The output is a directory; this is its entry file's extension. */
  extension: 'vtt';
  contentType: 'text/vtt';
  /** The longer side of a tile in pixels (the shorter follows the aspect ratio); never upscaled. */
  tileLongSide: number;
  /** Tiles are never closer together than this, so a short input gets fewer tiles. */
  minIntervalSeconds: number;
  /** At most this many tiles for inputs shorter than {@link longInputSeconds}: their interval widens instead. */
  maxTiles: number;
  /** Inputs at least this long get up to {@link maxTilesLong} tiles. */
  longInputSeconds: number;
  maxTilesLong: number;
  /** Tiles per row of the sprite. */
  columns: number;
}

/** A short looping animated WebP of a stretch of the input, for hover previews and listings. */
export interface PreviewPreset extends PresetBase {
  kind: 'preview';
  extension: 'webp';
  contentType: 'image/webp';
  /** Bound of the shorter side in pixels, as the video presets' `height`; never upscaled. */
  height: number;
  /** The longest stretch of the input it shows. */
  seconds: number;
  /** Where that stretch starts, as a fraction of the input's duration (moved earlier when the input is short). */
  startFraction: number;
  fps: number;
  /** libwebp's quality, 0–100. */
  quality: number;
}

/**
 * The input's text subtitle streams as WebVTT sidecars, one file each (`captions-01.vtt`, … in the
 * input's order), for players and editors beside any other output. The output is a directory; the
 * first track is its entry file. An input without text subtitles skips it.
 */
export interface CaptionsPreset extends PresetBase {
  kind: 'captions';
  extension: 'vtt';
  contentType: 'text/vtt';
}

export type Preset =
  | Mp4Preset
  | WebmPreset
  | HlsPreset
  | CmafPreset
  | ThumbnailsPreset
  | StoryboardPreset
  | PreviewPreset
  | AudioPreset
  | CaptionsPreset;

/** A preset whose output is a directory of files rather than one file. */
export type DirectoryPreset = HlsPreset | CmafPreset | ThumbnailsPreset | StoryboardPreset | CaptionsPreset;

/** Whether a preset writes a directory of files (HLS, CMAF, thumbnails, storyboard, captions) rather than one file. */
export function isDirectoryPreset(p: Preset): p is DirectoryPreset {
  return (
    p.kind === 'hls' || p.kind === 'cmaf' || p.kind === 'thumbnails' || p.kind === 'storyboard' || p.kind === 'captions'
  );
}

/** Whether a preset's output is a stream (HLS, CMAF): a directory with a duration, played rather than viewed. */
export function isStreamPreset(p: Preset): p is HlsPreset | CmafPreset {
  return p.kind === 'hls' || p.kind === 'cmaf';
}

/** Whether a preset needs a video stream in its input. */
export function needsVideo(p: Preset): boolean {
  return p.kind !== 'audio' && p.kind !== 'captions';
}

/** Whether a preset needs an audio stream in its input. */
export function needsAudio(p: Preset): boolean {
  return p.kind === 'audio';
}

const mp4 = (height: number, crf: number, maxrateKbps: number, audioKbps: number): Mp4Preset => ({
  kind: 'mp4',
  id: `mp4-${height}p`,
  description: `MP4, H.264 up to ${height}p (CRF ${crf}, peak ${maxrateKbps} kbit/s) + AAC ${audioKbps} kbit/s, fast start; never upscaled, aspect kept`,
  pool: DEFAULT_POOL,
  extension: 'mp4',
  contentType: 'video/mp4',
  video: { codec: 'h264', height, crf, maxrateKbps, x264Preset: 'veryfast' },
  audio: { codec: 'aac', bitrateKbps: audioKbps },
});

/**
 * HEVC in MP4 (`hvc1`), x265 `fast`: for Apple devices and TVs (Chromium does not play it). On a
 * 2-core machine 10 s of 720p took 10.5–11.4 s, about 4 times `mp4-720p`'s x264 `veryfast`
 * (2.6–2.8 s).
 */
const mp4Hevc = (height: number, crf: number, maxrateKbps: number, audioKbps: number): Mp4Preset => ({
  kind: 'mp4',
  id: `mp4-hevc-${height}p`,
  description: `MP4, HEVC (hvc1) up to ${height}p (x265 fast, CRF ${crf}, peak ${maxrateKbps} kbit/s) + AAC ${audioKbps} kbit/s, fast start; never upscaled, aspect kept; Apple devices and TVs, not Chromium`,
  pool: DEFAULT_POOL,
  extension: 'mp4',
  contentType: 'video/mp4',
  video: { codec: 'hevc', height, crf, maxrateKbps, x265Preset: 'fast' },
  audio: { codec: 'aac', bitrateKbps: audioKbps },
});

/** AV1 in WebM with Opus: the open-codec pair every current browser plays. */
const webmAv1 = (height: number, maxrateKbps: number, audioKbps: number): WebmPreset => ({
  kind: 'webm',
  id: `webm-av1-${height}p`,
  description: `WebM, AV1 up to ${height}p (SVT-AV1 preset 10, CRF 35, peak ${maxrateKbps} kbit/s) + Opus ${audioKbps} kbit/s; never upscaled, aspect kept`,
  pool: 'av1',
  extension: 'webm',
  contentType: 'video/webm',
  video: { codec: 'av1', height, crf: 35, maxrateKbps, svtPreset: 10 },
  audio: { codec: 'opus', bitrateKbps: audioKbps },
});

/**
 * AV1 in MP4, for players that have it (every current browser). SVT-AV1 speed preset 10: a 10 s
 * 720p clip took 6.9 CPU seconds (5.3–6.1 s on 2 busy cores), against 3.1 for `mp4-720p`'s x264
 * `veryfast` and 15.7 for SVT-AV1 preset 8; its file was 7% smaller than `mp4-720p`'s at the same
 * SSIM (ffmpeg's synthetic `testsrc2` picture).
 */
const mp4Av1720: Mp4Preset = {
  kind: 'mp4',
  id: 'mp4-av1-720p',
  description:
    'MP4, AV1 up to 720p (SVT-AV1 preset 10, CRF 35, peak 2000 kbit/s) + AAC 128 kbit/s, fast start; never upscaled, aspect kept',
  pool: 'av1',
  extension: 'mp4',
  contentType: 'video/mp4',
  video: { codec: 'av1', height: 720, crf: 35, maxrateKbps: 2000, svtPreset: 10 },
  audio: { codec: 'aac', bitrateKbps: 128 },
};

const mp4Av11080: Mp4Preset = {
  ...mp4Av1720,
  id: 'mp4-av1-1080p',
  description:
    'MP4, AV1 up to 1080p (SVT-AV1 preset 10, CRF 35, peak 4000 kbit/s) + AAC 160 kbit/s, fast start; never upscaled, aspect kept',
  video: { codec: 'av1', height: 1080, crf: 35, maxrateKbps: 4000, svtPreset: 10 },
  audio: { codec: 'aac', bitrateKbps: 160 },
};

const webm720: WebmPreset = {
  kind: 'webm',
  id: 'webm-720p',
  description: 'WebM, VP9 up to 720p (CRF 33, peak 2500 kbit/s) + Opus 96 kbit/s; never upscaled, aspect kept',
  pool: DEFAULT_POOL,
  extension: 'webm',
  contentType: 'video/webm',
  video: { codec: 'vp9', height: 720, crf: 33, maxrateKbps: 2500 },
  audio: { codec: 'opus', bitrateKbps: 96 },
};

/** The H.264 ladder of the streaming presets (HLS, CMAF), top rung first. */
const LADDER: readonly LadderRendition[] = [
  { height: 720, crf: 23, maxrateKbps: 3500, audioKbps: 128 },
  { height: 480, crf: 24, maxrateKbps: 1500, audioKbps: 96 },
  { height: 360, crf: 25, maxrateKbps: 900, audioKbps: 64 },
];

const hls: HlsPreset = {
  kind: 'hls',
  id: 'hls',
  description:
    'HLS: master playlist + H.264/AAC renditions at 720p, 480p and 360p (those not above the input), 4 s segments, from one decode',
  pool: DEFAULT_POOL,
  extension: 'm3u8',
  contentType: 'application/vnd.apple.mpegurl',
  segmentSeconds: 4,
  renditions: [...LADDER],
};

const cmaf: CmafPreset = {
  kind: 'cmaf',
  id: 'cmaf',
  description:
    'CMAF: fMP4 segments of H.264/AAC renditions at 720p, 480p and 360p (those not above the input), 4 s, listed by an HLS master playlist (master.m3u8) and a DASH manifest (manifest.mpd), from one encode',
  pool: DEFAULT_POOL,
  extension: 'm3u8',
  contentType: 'application/vnd.apple.mpegurl',
  segmentSeconds: 4,
  renditions: [...LADDER],
};

const thumbnails: ThumbnailsPreset = {
  kind: 'thumbnails',
  id: 'thumbnails',
  description: '5 JPEG thumbnails evenly spaced over the video, 360p (never upscaled)',
  pool: DEFAULT_POOL,
  extension: 'jpg',
  contentType: 'image/jpeg',
  count: 5,
  height: 360,
};

/**
 * Tiles 256 pixels on their longer side (Mux's storyboard tiles are 256 wide), at least 2 s
 * apart; like Mux, at most 50 tiles under 15 minutes and 100 from there on, so a long input gets
 * a wider interval rather than a bigger sprite (10 × 10 tiles of 256x144: 2560x1440).
 */
const storyboard: StoryboardPreset = {
  kind: 'storyboard',
  id: 'storyboard',
  description:
    'Storyboard for scrubbing previews: a JPEG sprite of tiles 256 px on the longer side (never upscaled) at evenly spaced times, at least 2 s apart, at most 50 (100 from 15 min), and a WebVTT file of #xywh cues',
  pool: DEFAULT_POOL,
  extension: 'vtt',
  contentType: 'text/vtt',
  tileLongSide: 256,
  minIntervalSeconds: 2,
  maxTiles: 50,
  longInputSeconds: 15 * 60,
  maxTilesLong: 100,
  columns: 10,
};

const preview: PreviewPreset = {
  kind: 'preview',
  id: 'preview',
  description:
    'Animated WebP preview: up to 5 s from 10% into the video (earlier for short inputs), 180p (320x180 for 16:9, never upscaled), 12 fps, looping',
  pool: DEFAULT_POOL,
  extension: 'webp',
  contentType: 'image/webp',
  height: 180,
  seconds: 5,
  startFraction: 0.1,
  fps: 12,
  quality: 70,
};

const audioAac: AudioPreset = {
  kind: 'audio',
  id: 'audio-aac',
  description: 'The audio track alone: AAC 128 kbit/s stereo in M4A',
  pool: DEFAULT_POOL,
  extension: 'm4a',
  contentType: 'audio/mp4',
  audio: { codec: 'aac', bitrateKbps: 128 },
};

const captions: CaptionsPreset = {
  kind: 'captions',
  id: 'captions',
  description:
    "The input's text subtitle streams (SubRip, ASS, MP4 timed text, WebVTT) as WebVTT sidecars, one file each; skipped when it has none",
  pool: DEFAULT_POOL,
  extension: 'vtt',
  contentType: 'text/vtt',
};

/** Every preset by id, in the order `GET /v1/presets` lists them. */
export const PRESETS: ReadonlyMap<string, Preset> = new Map(
  [
    mp4(1080, 22, 6000, 160),
    mp4(720, 23, 3500, 128),
    mp4(480, 24, 1500, 128),
    mp4(360, 25, 900, 96),
    mp4Hevc(1080, 24, 4500, 160),
    mp4Hevc(720, 25, 2500, 128),
    mp4Av11080,
    mp4Av1720,
    webm720,
    webmAv1(1080, 4000, 128),
    webmAv1(720, 2000, 96),
    hls,
    cmaf,
    thumbnails,
    storyboard,
    preview,
    audioAac,
    captions,
  ].map((p) => [p.id, p] as const),
);

/** The preset ids, for schemas and error messages. */
export const PRESET_IDS = [...PRESETS.keys()] as [string, ...string[]];

/** Looks a preset up by id; undefined when there is none. */
export function getPreset(id: string): Preset | undefined {
  return PRESETS.get(id);
}

/** Every pool some preset names: what a worker runs when `KILN_WORKER_POOLS` is unset. */
export const PRESET_POOLS: readonly string[] = [...new Set([...PRESETS.values()].map((p) => p.pool))];

/**
 * The pool a job with these presets runs in: {@link DEFAULT_POOL} unless an output needs another
 * pool (every worker also runs the default pool's presets, so a job mixing the two runs in the
 * other). Undefined when the outputs need two different non-default pools: no single worker is
 * promised to run both, so such a job is refused.
 */
export function jobPool(presetIds: readonly string[]): string | undefined {
  const special = new Set(presetIds.map((id) => getPreset(id)?.pool ?? DEFAULT_POOL).filter((p) => p !== DEFAULT_POOL));
  if (special.size > 1) return undefined;
  return [...special][0] ?? DEFAULT_POOL;
}

import type { Mp4Preset } from '@kiln/jobs';
import type { MediaInfo } from './media-info.js';

/** Output frame size in pixels. */
export interface FrameSize {
  width: number;
  height: number;
}

/** What {@link buildTranscodeArgs} needs: the pure part of a transcode request. */
export interface TranscodeArgsInput {
  /** Local file to read. */
  input: string;
  /** Local file to write (always muxed as MP4, whatever its extension). */
  output: string;
  preset: Mp4Preset;
  /** The probe result of `input`; must have a video stream. */
  media: MediaInfo;
  /** ffmpeg `-threads`; omitted means ffmpeg's own choice (all cores). */
  threads?: number | undefined;
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

/**
 * ffmpeg arguments (without the binary) that encode `input` to an MP4 per `preset`: H.264 (libx264,
 * CRF with a `-maxrate` peak and a `-bufsize` of twice that), yuv420p, High profile, AAC when the input
 * has audio (else `-an`), fast start, size from {@link computeOutputSize} with square pixels. The
 * input may only be opened through the `file` and `pipe` protocols, so a playlist or concat file
 * cannot make ffmpeg fetch URLs. Progress goes to stdout as `key=value` blocks.
 */
export function buildTranscodeArgs(req: TranscodeArgsInput): string[] {
  const { preset, media } = req;
  if (!media.video) throw new TypeError('the input has no video stream to encode');
  const size = computeOutputSize({ width: media.video.displayWidth, height: media.video.displayHeight }, preset.video.height);
  const v = preset.video;
  const audio = media.audio
    ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', `${preset.audio.bitrateKbps}k`, ...(media.audio.channels > 2 ? ['-ac', '2'] : [])]
    : ['-an'];
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-progress', 'pipe:1', '-y',
    '-protocol_whitelist', 'file,pipe',
    // `file:` keeps a name containing ":" (or starting with "-") from being read as a protocol or option.
    '-i', `file:${req.input}`,
    '-map', '0:v:0',
    // ffmpeg has already applied the rotation (autorotate) when frames reach this filter.
    '-vf', `scale=${size.width}:${size.height},setsar=1`,
    '-c:v', 'libx264', '-preset', v.x264Preset, '-crf', String(v.crf),
    '-maxrate', `${v.maxrateKbps}k`, '-bufsize', `${v.maxrateKbps * 2}k`,
    '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    ...audio,
    '-sn', '-dn',
    // Inputs with sparse audio or late streams otherwise fail with "Too many packets buffered".
    '-max_muxing_queue_size', '1024',
    ...(req.threads !== undefined ? ['-threads', String(req.threads)] : []),
    '-movflags', '+faststart', '-f', 'mp4', `file:${req.output}`,
  ];
}

function evenFloor(n: number): number {
  return Math.max(2, 2 * Math.floor(n / 2));
}

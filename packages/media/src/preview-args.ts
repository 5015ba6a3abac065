import type { Preset, PreviewPreset } from '@kiln/jobs';
import type { FrameSize, TranscodeArgsInput } from './transcode-args.js';

/**
 * Where an animated preview starts in an input of `durationSeconds`: `startFraction` of the way in
 * (10%: past most intros and black first frames), moved earlier so the preview still gets its full
 * `seconds` when the input allows, and at 0 for an input no longer than the preview.
 */
export function previewStartSeconds(durationSeconds: number, preset: PreviewPreset): number {
  const d = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : 0;
  return Math.max(0, Math.min(d * preset.startFraction, d - preset.seconds));
}

/**
 * How long the preview of an input of `durationSeconds` lasts: `seconds`, or what is left of the
 * input after {@link previewStartSeconds}. ffmpeg's own report is no use here: libwebp_anim
 * hands the muxer the whole animation at the end, so its progress stays at 0.
 */
export function previewDurationSeconds(durationSeconds: number, preset: PreviewPreset): number {
  const d = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : 0;
  return Math.min(preset.seconds, d - previewStartSeconds(d, preset));
}

/** Where a preview starts in an input of `durationSeconds` (0 for other presets): the seek before the input. */
export function previewStart(durationSeconds: number, preset: Preset): number {
  return preset.kind === 'preview' ? previewStartSeconds(durationSeconds, preset) : 0;
}

/**
 * An animated WebP (libwebp_anim) of up to `seconds` of the video from the seek of
 * seek before the input ({@link previewStart}), at `fps`, scaled to `size` (the video presets' rule, `height` bounding
 * the shorter side), looping for ever (the WebP muxer's default is to play once).
 */
export function previewArgs(req: TranscodeArgsInput, preset: PreviewPreset, size: FrameSize): string[] {
  return [
    '-map',
    '0:v:0',
    '-an',
    '-vf',
    `fps=${preset.fps},scale=${size.width}:${size.height},setsar=1`,
    '-t',
    String(preset.seconds),
    '-c:v',
    'libwebp_anim',
    '-quality',
    String(preset.quality),
    '-pix_fmt',
    'yuv420p',
    '-loop',
    '0',
    '-f',
    'webp',
    `file:${req.output}`,
  ];
}

import type { OutputSettings } from '@kiln/client/contract';
import { z } from 'zod';
import type { LadderRendition, Preset } from './presets.js';

/** The settings a request may change, with their bounds (each checked against the preset by {@link settingsIssues}). */
export const outputSettingsRequestSchema = z.strictObject({
  maxHeight: z.int('must be a whole number of pixels').min(16, 'must be at least 16').optional(),
  crf: z.int('must be a whole number').min(0, 'must be 0 or more').max(63, 'must be at most 63').optional(),
  peakKbps: z
    .int('must be a whole number')
    .min(100, 'must be at least 100')
    .max(100_000, 'must be at most 100000')
    .optional(),
  maxFps: z.number('must be a number').min(1, 'must be at least 1').max(240, 'must be at most 240').optional(),
  audioKbps: z.int('must be a whole number').min(16, 'must be at least 16').max(512, 'must be at most 512').optional(),
  skipIfBelow: z
    .union([z.boolean(), z.int().min(2).max(8192)], { error: 'must be true, false or a number of pixels (2-8192)' })
    .optional(),
});

/** Which settings each kind of preset takes; HLS's CRF and peak are per rung, in the preset. */
const APPLIES: Record<Preset['kind'], readonly (keyof OutputSettings)[]> = {
  mp4: ['maxHeight', 'crf', 'peakKbps', 'maxFps', 'audioKbps', 'skipIfBelow'],
  webm: ['maxHeight', 'crf', 'peakKbps', 'maxFps', 'audioKbps', 'skipIfBelow'],
  hls: ['maxHeight', 'maxFps', 'audioKbps', 'skipIfBelow'],
  cmaf: ['maxHeight', 'audioKbps', 'skipIfBelow'],
  thumbnails: ['maxHeight', 'skipIfBelow'],
  storyboard: [],
  preview: ['maxHeight', 'skipIfBelow'],
  audio: ['audioKbps'],
  captions: [],
};

/** The picture bound a preset writes at most: its height, HLS's top rung. */
export function presetHeight(preset: Preset): number | null {
  switch (preset.kind) {
    case 'mp4':
    case 'webm':
      return preset.video.height;
    case 'hls':
    case 'cmaf':
      return Math.max(...preset.renditions.map((r) => r.height));
    case 'thumbnails':
    case 'preview':
      return preset.height;
    case 'storyboard':
    case 'audio':
    case 'captions':
      return null;
  }
}

/** What is wrong with `settings` for `preset`, each with the setting it names; empty when they fit. */
export function settingsIssues(preset: Preset, settings: OutputSettings): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  for (const [field, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!APPLIES[preset.kind].includes(field as keyof OutputSettings))
      issues.push({
        field,
        message: `${preset.id} has no ${field} setting; it takes ${APPLIES[preset.kind].join(', ')}`,
      });
  }
  const height = presetHeight(preset);
  if (settings.maxHeight !== undefined && height !== null && settings.maxHeight > height)
    issues.push({ field: 'maxHeight', message: `must be at most ${height}, the height of ${preset.id}` });
  if (settings.crf !== undefined && (preset.kind === 'mp4' || preset.kind === 'webm')) {
    const max = preset.video.codec === 'h264' || preset.video.codec === 'hevc' ? 51 : 63;
    if (settings.crf > max) issues.push({ field: 'crf', message: `must be at most ${max} for ${preset.video.codec}` });
  }
  return issues;
}

/**
 * The preset as a job's output settings change it: a lower height bound, another CRF, peak, frame
 * rate cap or audio rate. HLS and CMAF keep the rungs at or under `maxHeight` (one rung at `maxHeight`
 * when none is), each with the frame rate cap and audio rate. The id and pool stay the preset's.
 */
export function applyOutputSettings(preset: Preset, settings: OutputSettings | undefined): Preset {
  if (!settings) return preset;
  const { maxHeight, crf, peakKbps, maxFps, audioKbps } = settings;
  switch (preset.kind) {
    case 'mp4':
    case 'webm':
      return {
        ...preset,
        video: {
          ...preset.video,
          height: Math.min(preset.video.height, maxHeight ?? Infinity),
          ...(crf !== undefined ? { crf } : {}),
          ...(peakKbps !== undefined ? { maxrateKbps: peakKbps } : {}),
          ...(maxFps !== undefined ? { maxFps } : {}),
        },
        audio: { ...preset.audio, bitrateKbps: audioKbps ?? preset.audio.bitrateKbps },
      } as Preset;
    case 'hls':
    case 'cmaf':
      return {
        ...preset,
        renditions: ladder(preset.renditions, maxHeight).map((r) => ({
          ...r,
          ...(maxFps !== undefined ? { maxFps } : {}),
          audioKbps: audioKbps ?? r.audioKbps,
        })),
      };
    case 'thumbnails':
    case 'preview':
      return { ...preset, height: Math.min(preset.height, maxHeight ?? Infinity) };
    case 'storyboard':
    case 'captions':
      return preset;
    case 'audio':
      return { ...preset, audio: { ...preset.audio, bitrateKbps: audioKbps ?? preset.audio.bitrateKbps } };
  }
}

function ladder(renditions: LadderRendition[], maxHeight: number | undefined): LadderRendition[] {
  if (maxHeight === undefined) return renditions;
  const kept = renditions.filter((r) => r.height <= maxHeight);
  if (kept.length > 0) return kept;
  const lowest = renditions.reduce((a, b) => (a.height <= b.height ? a : b));
  return [{ ...lowest, height: maxHeight }];
}

/**
 * Whether an output with these settings is skipped for an input whose picture's short side is
 * `shortSide` pixels: under `skipIfBelow` (`true`: under the output's own height bound).
 */
export function skipsInput(preset: Preset, settings: OutputSettings | undefined, shortSide: number): boolean {
  const skip = settings?.skipIfBelow;
  if (skip === undefined || skip === false) return false;
  const threshold = skip === true ? presetHeight(applyOutputSettings(preset, settings)) : skip;
  return threshold !== null && shortSide < threshold;
}

import { describe, expect, it } from 'vitest';
import { createJobSchema } from './job.schema.js';
import { applyOutputSettings, settingsIssues, skipsInput } from './output-settings.js';
import { getPreset, type HlsPreset, type Mp4Preset } from './presets.js';

const preset = (id: string) => getPreset(id)!;
const job = (outputs: unknown[]) => ({ input: 'file:///srv/a.mp4', outputs });
/** Each problem of a request as `path: message`. */
const problems = (body: unknown) =>
  (createJobSchema.safeParse(body).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('output settings in a job request', () => {
  it('accepts settings that fit the preset and keeps them on the request', () => {
    const settings = { maxHeight: 540, crf: 20, peakKbps: 2500, maxFps: 30, audioKbps: 96, skipIfBelow: true };
    const parsed = createJobSchema.parse(
      job([
        { preset: 'mp4-720p', settings },
        { preset: 'hls', settings: { maxHeight: 480 } },
      ]),
    );
    expect(parsed.outputs[0]!.settings).toEqual(settings);
    expect(parsed.outputs[1]!.settings).toEqual({ maxHeight: 480 });
  });

  it('refuses, naming the setting, values out of range, settings a preset does not take, and unknown ones', () => {
    expect(problems(job([{ preset: 'mp4-720p', settings: { crf: 52 } }]))).toEqual([
      'outputs.0.settings.crf: must be at most 51 for h264',
    ]);
    expect(problems(job([{ preset: 'mp4-av1-720p', settings: { crf: 52 } }]))).toEqual([]);
    expect(problems(job([{ preset: 'mp4-720p', settings: { maxHeight: 1080 } }]))).toEqual([
      'outputs.0.settings.maxHeight: must be at most 720, the height of mp4-720p',
    ]);
    expect(problems(job([{ preset: 'hls', settings: { crf: 20 } }]))).toEqual([
      'outputs.0.settings.crf: hls has no crf setting; it takes maxHeight, maxFps, audioKbps, skipIfBelow',
    ]);
    expect(problems(job([{ preset: 'audio-aac', settings: { maxHeight: 360 } }]))[0]).toMatch(
      /^outputs\.0\.settings\.maxHeight: audio-aac has no maxHeight setting/,
    );
    expect(problems(job([{ preset: 'mp4-720p', settings: { maxFps: 0 } }]))).toEqual([
      'outputs.0.settings.maxFps: must be at least 1',
    ]);
    expect(problems(job([{ preset: 'mp4-720p', settings: { skipIfBelow: 'yes' } }]))[0]).toMatch(
      /^outputs\.0\.settings\.skipIfBelow: /,
    );
    expect(problems(job([{ preset: 'mp4-720p', settings: { bitrate: 1 } }]))[0]).toMatch(/^outputs\.0\.settings: /);
  });
});

describe('applyOutputSettings', () => {
  it('changes what the settings name and nothing else', () => {
    const p = applyOutputSettings(preset('mp4-720p'), {
      maxHeight: 540,
      crf: 20,
      peakKbps: 2500,
      maxFps: 30,
      audioKbps: 96,
    }) as Mp4Preset;
    const base = preset('mp4-720p') as Mp4Preset;
    expect(p).toEqual({
      ...base,
      video: { ...base.video, height: 540, crf: 20, maxrateKbps: 2500, maxFps: 30 },
      audio: { ...base.audio, bitrateKbps: 96 },
    });
    expect(applyOutputSettings(base, undefined)).toBe(base);
    expect(applyOutputSettings(base, {})).toEqual(base);
  });

  it('keeps the HLS rungs at or under maxHeight, or one rung at maxHeight when none is', () => {
    const heights = (maxHeight: number) =>
      (applyOutputSettings(preset('hls'), { maxHeight, audioKbps: 64 }) as HlsPreset).renditions.map((r) => [
        r.height,
        r.audioKbps,
      ]);
    expect(heights(480)).toEqual([
      [480, 64],
      [360, 64],
    ]);
    expect(heights(240)).toEqual([[240, 64]]);
  });
});

describe('settingsIssues and skipsInput', () => {
  it('finds no issue in empty settings', () => {
    expect(settingsIssues(preset('thumbnails'), {})).toEqual([]);
  });

  it('skips an output whose input is below skipIfBelow: true is the output height, a number is that many pixels', () => {
    const p = preset('mp4-1080p');
    expect(skipsInput(p, { skipIfBelow: true }, 720)).toBe(true);
    expect(skipsInput(p, { skipIfBelow: true }, 1080)).toBe(false);
    expect(skipsInput(p, { skipIfBelow: true, maxHeight: 720 }, 720)).toBe(false);
    expect(skipsInput(p, { skipIfBelow: 480 }, 479)).toBe(true);
    expect(skipsInput(p, { skipIfBelow: false }, 10)).toBe(false);
    expect(skipsInput(p, undefined, 10)).toBe(false);
  });
});

import { PRESETS, type PreviewPreset } from '@kiln/jobs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from './media-info.js';
import { previewDurationSeconds, previewStartSeconds } from './preview-args.js';
import { buildTranscodeArgs } from './transcode-args.js';

const preset = PRESETS.get('preview') as PreviewPreset;

function media(durationSeconds: number, width = 1280, height = 720): MediaInfo {
  return {
    durationSeconds,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1000,
    bitRate: 1000,
    video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps: 25, rotation: 0 },
    audio: { codec: 'aac', channels: 2, sampleRate: 44100 },
    transcodable: true,
  };
}

describe('previewStartSeconds', () => {
  it.each([
    [120, 12],
    [60, 6],
    [8, 0.8],
    [5, 0],
    [2, 0],
  ])('starts a %s s input at %s s', (duration, start) => {
    expect(previewStartSeconds(duration, preset)).toBeCloseTo(start, 9);
  });

  it('starts inside the input, no later than 10% in, and leaves the whole preview when the input allows', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 24 * 3600, noNaN: true }), (d) => {
        const start = previewStartSeconds(d, preset);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start).toBeLessThanOrEqual(d * preset.startFraction + 1e-9);
        expect(d - start).toBeGreaterThanOrEqual(Math.min(d, preset.seconds) - 1e-9);
      }),
    );
  });
});

describe('previewDurationSeconds', () => {
  it('is 5 s, or the whole of a shorter input', () => {
    expect(previewDurationSeconds(60, preset)).toBe(5);
    expect(previewDurationSeconds(5.5, preset)).toBeCloseTo(5, 9);
    expect(previewDurationSeconds(2, preset)).toBe(2);
  });
});

describe('buildTranscodeArgs (preview)', () => {
  it('seeks before opening the input, then writes a looping animated WebP at 12 fps, 180p', () => {
    const args = buildTranscodeArgs({ input: '/in.mp4', output: '/out/p.webp', preset, media: media(60), threads: 2 });
    expect(args.slice(args.indexOf('-ss'), args.indexOf('-i') + 2)).toEqual(['-ss', '6.000', '-i', 'file:/in.mp4']);
    expect(args.slice(args.indexOf('-map'))).toEqual([
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      'fps=12,scale=320:180,setsar=1',
      '-t',
      '5',
      '-c:v',
      'libwebp_anim',
      '-quality',
      '70',
      '-pix_fmt',
      'yuv420p',
      '-loop',
      '0',
      '-f',
      'webp',
      'file:/out/p.webp',
    ]);
  });

  it('does not seek in an input no longer than the preview, and scales a portrait input by its width', () => {
    const args = buildTranscodeArgs({ input: '/in.mp4', output: '/p.webp', preset, media: media(4, 1080, 1920) });
    expect(args).not.toContain('-ss');
    expect(args).toContain('fps=12,scale=180:320,setsar=1');
  });

  it('no other preset seeks', () => {
    // A text subtitle stream, so the captions preset has something to write.
    const withSubs: MediaInfo = {
      ...media(60),
      subtitles: [{ index: 0, codec: 'subrip', language: 'eng', title: null }],
    };
    for (const p of PRESETS.values())
      if (p.kind !== 'preview')
        expect(buildTranscodeArgs({ input: '/in.mp4', output: '/o', preset: p, media: withSubs })).not.toContain('-ss');
  });
});

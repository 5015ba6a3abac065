import { PRESETS, type StoryboardPreset } from '@kiln/jobs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from './media-info.js';
import { storyboardLayout, tileSize } from './storyboard-args.js';
import { buildTranscodeArgs } from './transcode-args.js';

const preset = PRESETS.get('storyboard') as StoryboardPreset;

function media(durationSeconds: number, width = 1280, height = 720): MediaInfo {
  return {
    durationSeconds,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    sizeBytes: 1000,
    bitRate: 1000,
    video: { codec: 'h264', width, height, displayWidth: width, displayHeight: height, fps: 25, rotation: 0 },
    audio: null,
    transcodable: true,
  };
}

describe('tileSize', () => {
  it.each([
    [1920, 1080, 256, 144],
    [1080, 1920, 144, 256],
    [640, 480, 256, 192],
    [1280, 800, 256, 160],
    [200, 100, 200, 100],
    [101, 51, 100, 50],
  ])('fits %ix%i into %ix%i', (width, height, w, h) => {
    expect(tileSize({ width, height }, 256)).toEqual({ width: w, height: h });
  });

  it('is even, within the bound and the source, and keeps the aspect ratio to rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8192 }), fc.integer({ min: 2, max: 8192 }), (width, height) => {
        const t = tileSize({ width, height }, 256);
        expect((t.width % 2) + (t.height % 2)).toBe(0);
        expect(Math.max(t.width, t.height)).toBeLessThanOrEqual(256);
        expect(t.width).toBeLessThanOrEqual(Math.max(2, width));
        expect(t.height).toBeLessThanOrEqual(Math.max(2, height));
        // Within one even step (2 px) on the shorter side of the exact aspect ratio.
        const long = Math.max(t.width, t.height);
        const exactShort = (Math.min(width, height) * long) / Math.max(width, height);
        if (exactShort >= 2 && Math.min(width, height) >= 2)
          expect(Math.abs(Math.min(t.width, t.height) - exactShort)).toBeLessThanOrEqual(2);
      }),
    );
  });
});

describe('storyboardLayout', () => {
  it('takes a tile every 2 s of a short input', () => {
    expect(storyboardLayout(media(25), preset)).toEqual({
      intervalMs: 2000,
      durationMs: 25_000,
      count: 13,
      columns: 10,
      rows: 2,
      tile: { width: 256, height: 144 },
    });
  });

  it('widens the interval to keep 50 tiles under 15 minutes, and 100 from there on', () => {
    expect(storyboardLayout(media(600), preset)).toMatchObject({ intervalMs: 12_000, count: 50, columns: 10, rows: 5 });
    expect(storyboardLayout(media(899.999), preset)).toMatchObject({ count: 50 });
    expect(storyboardLayout(media(3600), preset)).toMatchObject({ intervalMs: 36_000, count: 100, rows: 10 });
  });

  it('has one tile for an input shorter than the interval', () => {
    expect(storyboardLayout(media(0.5, 64, 48), preset)).toEqual({
      intervalMs: 2000,
      durationMs: 500,
      count: 1,
      columns: 1,
      rows: 1,
      tile: { width: 64, height: 48 },
    });
  });
});

describe('buildTranscodeArgs (storyboard)', () => {
  it('picks a frame every interval, tiles them into one JPEG sprite in the output directory', () => {
    const args = buildTranscodeArgs({ input: '/in.mp4', output: '/out/sb', preset, media: media(25), threads: 2 });
    expect(args.slice(args.indexOf('-map'))).toEqual([
      '-map',
      '0:v:0',
      '-an',
      '-vf',
      'fps=1000/2000:start_time=0:round=up:eof_action=pass,tpad=stop_mode=clone:stop=13,scale=256:144,setsar=1,tile=10x2:nb_frames=13',
      '-frames:v',
      '1',
      '-q:v',
      '4',
      '-f',
      'image2',
      '-update',
      '1',
      '/out/sb/storyboard.jpg',
    ]);
    // -threads before the output file: options after the last output are ignored.
    expect(args.indexOf('-threads')).toBeLessThan(args.indexOf('/out/sb/storyboard.jpg'));
  });
});

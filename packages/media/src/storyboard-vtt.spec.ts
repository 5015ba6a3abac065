import { PRESETS, type StoryboardPreset } from '@kiln/jobs';
import { parseStoryboardVtt, parseVttTimestamp, type StoryboardCue } from '@kiln/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MediaInfo } from './media-info.js';
import { storyboardLayout, type StoryboardLayout } from './storyboard-args.js';
import { storyboardVtt, vttTimestamp } from './storyboard-vtt.js';

const preset = PRESETS.get('storyboard') as StoryboardPreset;

function media(durationSeconds: number, width = 1920, height = 1080): MediaInfo {
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

/** Cues cover [0, duration] end to end, each a tile of the layout inside the sprite, tile i at row-major place i. */
function expectCoversSprite(cues: StoryboardCue[], layout: StoryboardLayout): void {
  const spriteW = layout.columns * layout.tile.width;
  const spriteH = layout.rows * layout.tile.height;
  expect(cues).toHaveLength(layout.count);
  expect(cues[0]!.startMs).toBe(0);
  expect(cues.at(-1)!.endMs).toBe(layout.durationMs);
  cues.forEach((cue, i) => {
    expect(cue.endMs).toBeGreaterThan(cue.startMs);
    if (i > 0) expect(cue.startMs).toBe(cues[i - 1]!.endMs);
    expect(cue.file).toBe('storyboard.jpg');
    expect({ w: cue.w, h: cue.h }).toEqual({ w: layout.tile.width, h: layout.tile.height });
    expect(cue.x + cue.w).toBeLessThanOrEqual(spriteW);
    expect(cue.y + cue.h).toBeLessThanOrEqual(spriteH);
    expect({ col: cue.x / cue.w, row: cue.y / cue.h }).toEqual({
      col: i % layout.columns,
      row: Math.floor(i / layout.columns),
    });
  });
}

describe('vttTimestamp', () => {
  it.each([
    [0, '00:00:00.000'],
    [1, '00:00:00.001'],
    [61_500, '00:01:01.500'],
    [3_599_999, '00:59:59.999'],
    [3_600_000, '01:00:00.000'],
    [100 * 3_600_000 + 42, '100:00:00.042'],
  ])('writes %i ms as %s', (ms, text) => {
    expect(vttTimestamp(ms)).toBe(text);
  });

  it('reads back as the same milliseconds, whatever the time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 3_600_000 }), (ms) => {
        expect(parseVttTimestamp(vttTimestamp(ms))).toBe(ms);
      }),
    );
  });
});

describe('storyboardVtt', () => {
  it('writes one cue per tile, row by row, the last ending at the duration', () => {
    const layout = storyboardLayout(media(25.04), preset);
    const vtt = storyboardVtt(layout, 'storyboard.jpg');
    expect(vtt.split('\n').slice(0, 7)).toEqual([
      'WEBVTT',
      '',
      '00:00:00.000 --> 00:00:02.000',
      'storyboard.jpg#xywh=0,0,256,144',
      '',
      '00:00:02.000 --> 00:00:04.000',
      'storyboard.jpg#xywh=256,0,256,144',
    ]);
    expect(vtt.trimEnd().split('\n').slice(-2)).toEqual([
      '00:00:24.000 --> 00:00:25.040',
      'storyboard.jpg#xywh=512,144,256,144',
    ]);
    expectCoversSprite(parseStoryboardVtt(vtt), layout);
  });

  it('covers [0, duration] without gaps or overlaps, every tile inside the sprite, for any duration and picture', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 6 * 3600, noNaN: true }),
        fc.integer({ min: 2, max: 8192 }),
        fc.integer({ min: 2, max: 8192 }),
        (seconds, width, height) => {
          const layout = storyboardLayout(media(seconds, width, height), preset);
          expectCoversSprite(parseStoryboardVtt(storyboardVtt(layout, 'storyboard.jpg')), layout);
        },
      ),
    );
  });

  it('covers the duration for any interval rule, not only the preset’s', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 4 * 3600, noNaN: true }),
        fc.double({ min: 0.05, max: 120, noNaN: true }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 30 }),
        (seconds, minIntervalSeconds, maxTiles, columns) => {
          const custom = { ...preset, minIntervalSeconds, maxTiles, maxTilesLong: maxTiles, columns };
          const layout = storyboardLayout(media(seconds), custom);
          expect(layout.count).toBeLessThanOrEqual(maxTiles);
          expectCoversSprite(parseStoryboardVtt(storyboardVtt(layout, 'storyboard.jpg')), layout);
        },
      ),
    );
  });
});

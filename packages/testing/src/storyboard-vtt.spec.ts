import { describe, expect, it } from 'vitest';
import { parseStoryboardVtt, parseVttTimestamp } from './storyboard-vtt.js';

describe('parseStoryboardVtt', () => {
  it('reads each cue’s times and tile', () => {
    const vtt =
      'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsb.jpg#xywh=0,0,256,144\n\n01:00:02.000 --> 01:00:03.500\nsb.jpg#xywh=256,0,256,144\n';
    expect(parseStoryboardVtt(vtt)).toEqual([
      { startMs: 0, endMs: 2000, file: 'sb.jpg', x: 0, y: 0, w: 256, h: 144 },
      { startMs: 3_602_000, endMs: 3_603_500, file: 'sb.jpg', x: 256, y: 0, w: 256, h: 144 },
    ]);
    expect(() => parseStoryboardVtt(vtt.replace('03.500', '03.5'))).toThrow(/timestamp/);
  });

  it.each([
    ['no header', '00:00:00.000 --> 00:00:02.000\nsb.jpg#xywh=0,0,2,2\n'],
    ['no fragment', 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsb.jpg\n'],
    ['a second text line', 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsb.jpg#xywh=0,0,2,2\nmore\n'],
    ['minutes past 59', 'WEBVTT\n\n00:60:00.000 --> 01:00:02.000\nsb.jpg#xywh=0,0,2,2\n'],
  ])('refuses a file with %s', (_, text) => {
    expect(() => parseStoryboardVtt(text)).toThrow();
  });

  it('reads timestamps with more than two digits of hours', () => {
    expect(parseVttTimestamp('100:00:00.001')).toBe(360_000_001);
  });
});

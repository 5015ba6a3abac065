import { describe, expect, it } from 'vitest';
import { summarizeStderr, TextTail } from './ffmpeg-stderr.js';

describe('summarizeStderr', () => {
  it('keeps the messages and drops demuxer context and file paths', () => {
    const stderr =
      '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x558e0d0331c0] moov atom not found\nfile:/srv/in/a.mp4: Invalid data found when processing input\n';
    expect(summarizeStderr(stderr, { input: '/srv/in/a.mp4' })).toBe(
      'moov atom not found; Invalid data found when processing input',
    );
  });

  it('names files by label inside a message, removes repeats and keeps the last few', () => {
    const stderr = 'a\nb\nb\nc\nCould not open file:/tmp/o.mp4 for writing\n';
    expect(summarizeStderr(stderr, { output: '/tmp/o.mp4' })).toBe('b; c; Could not open <output> for writing');
  });
});

describe('TextTail', () => {
  it('keeps only the last characters of a long stream', () => {
    const tail = new TextTail(10);
    for (let i = 0; i < 100; i++) tail.push(`${i % 10}`);
    expect(tail.toString()).toBe('0123456789');
  });
});

import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ffprobeJson as probe } from './ffprobe-json.js';
import { makeClip, makeCorruptFile, makeGapClip, makePng } from './make-clip.js';

describe('makeClip', () => {
  it('makes a probe-able H.264 + AAC mp4 of the asked size and length', async () => {
    const file = await makeClip({ seconds: 1, width: 320, height: 240 });
    expect(file).toMatch(/\.mp4$/);
    const info = await probe(file);
    const video = info.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(info.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect(Number(info.format.duration)).toBeGreaterThan(0.9);
    expect(Number(info.format.duration)).toBeLessThan(1.2);
  });

  it('makes a silent clip when audio is false', async () => {
    const info = await probe(await makeClip({ seconds: 1, width: 160, height: 120, audio: false }));
    expect(info.streams.map((s) => s.codec_type)).toEqual(['video']);
  });

  it('returns the cached file for the same spec and shares one ffmpeg between concurrent calls', async () => {
    const spec = { seconds: 1, width: 192, height: 108, fps: 10 };
    const [a, b] = await Promise.all([makeClip(spec), makeClip({ ...spec })]);
    expect(a).toBe(b);
    const before = (await stat(a)).mtimeMs;
    expect(await makeClip(spec)).toBe(a);
    expect((await stat(a)).mtimeMs).toBe(before); // not made again
    expect(await makeClip({ ...spec, fps: 12 })).not.toBe(a);
  });

  it('makes the audio at the asked sample rate', async () => {
    const info = await probe(await makeClip({ seconds: 1, width: 160, height: 120, sampleRate: 44100 }));
    expect(info.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ sample_rate: '44100' });
  });

  it('puts the moov index first by default and last when faststart is false', async () => {
    const spec = { seconds: 1, width: 160, height: 120 };
    const moovBeforeMdat = async (file: string) => {
      const bytes = await readFile(file);
      return bytes.indexOf('moov') < bytes.indexOf('mdat');
    };
    expect(await moovBeforeMdat(await makeClip(spec))).toBe(true);
    expect(await moovBeforeMdat(await makeClip({ ...spec, faststart: false }))).toBe(false);
  });
});

describe('makePng', () => {
  it('makes a one-frame PNG of the asked size, small on disk', async () => {
    const file = await makePng({ width: 4096, height: 2048 });
    expect(file).toMatch(/\.png$/);
    expect((await probe(file)).streams).toMatchObject([{ codec_name: 'png', width: 4096, height: 2048 }]);
    expect((await stat(file)).size).toBeLessThan(1024 * 1024);
  });
});

describe('makeGapClip', () => {
  it('makes a small MP4 whose timestamp jumps make it declare hours', async () => {
    const file = await makeGapClip(40);
    const info = await probe(file);
    expect(info.streams).toMatchObject([{ codec_name: 'h264', width: 320, height: 240 }]);
    // 359 jumps of 40 s between 720 frames.
    expect(Number(info.format.duration)).toBeGreaterThan(359 * 40);
    expect((await stat(file)).size).toBeLessThan(10 * 1024 * 1024);
  });
});

describe('makeCorruptFile', () => {
  it('makes an .mp4 that ffprobe rejects', async () => {
    const file = await makeCorruptFile();
    expect(file).toMatch(/\.mp4$/);
    expect((await stat(file)).size).toBe(64 * 1024);
    await expect(probe(file)).rejects.toThrow();
  });
});

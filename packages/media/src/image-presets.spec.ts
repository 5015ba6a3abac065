import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getPreset, type Preset, type StoryboardPreset } from '@kiln/jobs';
import { makeClip, parseStoryboardVtt, readWebpAnimation, type StoryboardCue } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcode } from './ffmpeg-transcode.adapter.js';
import { probe } from './ffprobe.adapter.js';
import { storyboardLayout } from './storyboard-args.js';

const run = promisify(execFile);

/** The pixels of `input`'s frames (all of them, or those `filter` leaves) as 8-bit gray, one Buffer per frame of `width`x`height`. */
async function grayFrames(input: string, width: number, height: number, filter?: string): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-v', 'error', '-nostdin', '-i', input],
      ...(filter ? ['-vf', filter, '-fps_mode', 'passthrough'] : []),
      ...['-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const size = width * height;
  expect(stdout.length % size).toBe(0);
  return Array.from({ length: stdout.length / size }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

/** The pixels of one cue's tile, cut out of the gray sprite. */
function tilePixels(sprite: Buffer, spriteWidth: number, cue: StoryboardCue): Buffer {
  const out = Buffer.alloc(cue.w * cue.h);
  for (let row = 0; row < cue.h; row++)
    sprite.copy(out, row * cue.w, (cue.y + row) * spriteWidth + cue.x, (cue.y + row) * spriteWidth + cue.x + cue.w);
  return out;
}

/** Mean absolute difference of two gray pictures of one size. */
function meanDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function stdev(pixels: Buffer): number {
  const mean = pixels.reduce((s, v) => s + v, 0) / pixels.length;
  return Math.sqrt(pixels.reduce((s, v) => s + (v - mean) ** 2, 0) / pixels.length);
}

describe('storyboard and preview, checked on real ffmpeg', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-image-presets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const encode = async (input: string, id: string, out: string) => {
    const media = await probe(input);
    const preset = getPreset(id) as Preset;
    const result = await transcode({ input, output: join(dir, out), preset, media, threads: 2 });
    return { media, result, output: join(dir, out) };
  };

  /** Reads a storyboard output back: its files, the sprite's size and the VTT's cues, checked against each other and the duration. */
  const readStoryboard = async (output: string, durationSeconds: number) => {
    expect((await readdir(output)).sort()).toEqual(['storyboard.jpg', 'storyboard.vtt']);
    const sprite = await probe(join(output, 'storyboard.jpg'), { trustedFormat: true });
    expect(sprite.video?.codec).toBe('mjpeg');
    const { width, height } = sprite.video!;
    const cues = parseStoryboardVtt(await readFile(join(output, 'storyboard.vtt'), 'utf8'));
    expect(cues[0]!.startMs).toBe(0);
    expect(cues.at(-1)!.endMs).toBe(Math.round(durationSeconds * 1000));
    cues.forEach((cue, i) => {
      if (i > 0) expect(cue.startMs).toBe(cues[i - 1]!.endMs);
      expect(cue.endMs).toBeGreaterThan(cue.startMs);
      expect(cue.file).toBe('storyboard.jpg');
      expect(cue.x + cue.w).toBeLessThanOrEqual(width);
      expect(cue.y + cue.h).toBeLessThanOrEqual(height);
    });
    return { width, height, cues };
  };

  it('storyboard: a sprite of columns × rows tiles whose VTT cues cover the clip, each tile the frame at its cue’s start', async () => {
    const input = await makeClip({ seconds: 25, width: 1280, height: 720 });
    const { media, result, output } = await encode(input, 'storyboard', 'storyboard');
    const layout = storyboardLayout(media, getPreset('storyboard') as StoryboardPreset);
    expect(layout).toMatchObject({
      intervalMs: 2000,
      count: 13,
      columns: 10,
      rows: 2,
      tile: { width: 256, height: 144 },
    });
    expect(result).toMatchObject({ width: 256, height: 144 });
    const { width, height, cues } = await readStoryboard(output, media.durationSeconds);
    expect({ width, height }).toEqual({ width: 10 * 256, height: 2 * 144 });
    expect(cues.map((c) => c.startMs)).toEqual(Array.from({ length: 13 }, (_, i) => i * 2000));
    // Tile i is the source's frame at i × 2 s (frame 50 i at 25 fps): closer to it than to any other tile's frame.
    const select = `select='${cues.map((_, i) => `eq(n\\,${50 * i})`).join('+')}',scale=256:144`;
    const expected = await grayFrames(input, 256, 144, select);
    expect(expected).toHaveLength(13);
    const [sprite] = await grayFrames(join(output, 'storyboard.jpg'), width, height);
    cues.forEach((cue, i) => {
      const diffs = expected.map((frame) => meanDiff(tilePixels(sprite!, width, cue), frame));
      expect({ tile: i, closest: diffs.indexOf(Math.min(...diffs)) }).toEqual({ tile: i, closest: i });
      expect(diffs[i]).toBeLessThan(6);
    });
  });

  it('storyboard: every tile is a picture when the video starts late and ends before the audio', async () => {
    // Video from 0.32 s to 5.32 s, audio to 9 s (Matroska keeps the video's late start): the fps
    // filter alone would skip the first pick and run out of picks for the tiles at 6 and 8 s.
    const input = join(dir, 'late-short-video.mkv');
    await run('ffmpeg', [
      ...['-v', 'error', '-nostdin', '-y', '-itsoffset', '0.3'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=5'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=9'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', input],
    ]);
    const { media, output } = await encode(input, 'storyboard', 'storyboard-late');
    expect(media.durationSeconds).toBeGreaterThan(8.9);
    const { width, height, cues } = await readStoryboard(output, media.durationSeconds);
    expect(cues).toHaveLength(5);
    expect({ width, height }).toEqual({ width: 5 * 256, height: 144 });
    const [sprite] = await grayFrames(join(output, 'storyboard.jpg'), width, height);
    for (const [i, cue] of cues.entries())
      expect({ tile: i, picture: stdev(tilePixels(sprite!, width, cue)) > 10 }).toEqual({ tile: i, picture: true });
    // The first video frame (at 0.32 s), the frames on screen at 2 s and 4 s (10 fps from 0.32 s:
    // frames 16 and 36), then the last pick again for the tiles past the video's end.
    const picks = await grayFrames(input, 256, 144, "select='eq(n\\,0)+eq(n\\,16)+eq(n\\,36)',scale=256:144");
    expect(picks).toHaveLength(3);
    const closest = cues.map((cue) => {
      const diffs = picks.map((frame) => meanDiff(tilePixels(sprite!, width, cue), frame));
      return diffs.indexOf(Math.min(...diffs));
    });
    expect(closest).toEqual([0, 1, 2, 2, 2]);
  });

  it('storyboard: portrait tiles are 256 px high, and a short clip has one tile per 2 s', async () => {
    const input = await makeClip({ seconds: 3, width: 360, height: 640, audio: false });
    const { media, output, result } = await encode(input, 'storyboard', 'storyboard-portrait');
    expect(result).toMatchObject({ width: 144, height: 256 });
    const { width, height, cues } = await readStoryboard(output, media.durationSeconds);
    expect({ width, height }).toEqual({ width: 2 * 144, height: 256 });
    expect(cues.map((c) => [c.startMs, c.endMs])).toEqual([
      [0, 2000],
      [2000, 3000],
    ]);
  });

  it('preview: a looping animated WebP of 5 s at 12 fps, 320x180, from 10% into the clip', async () => {
    const input = await makeClip({ seconds: 30, width: 1280, height: 720 });
    const { output, result } = await encode(input, 'preview', 'preview.webp');
    const webp = await readWebpAnimation(output);
    expect(webp).toMatchObject({ width: 320, height: 180, animated: true, loopCount: 0 });
    expect(webp.frameDurationsMs).toHaveLength(60);
    const total = webp.frameDurationsMs.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 5000)).toBeLessThanOrEqual(60);
    expect(result).toMatchObject({ width: 320, height: 180 });
    expect(result.durationSeconds).toBeCloseTo(5, 0);
  });

  it('preview: the whole of a clip shorter than 5 s, never upscaled', async () => {
    const input = await makeClip({ seconds: 2, width: 240, height: 136, audio: false });
    const { output } = await encode(input, 'preview', 'preview-short.webp');
    const webp = await readWebpAnimation(output);
    expect(webp).toMatchObject({ width: 240, height: 136, animated: true, loopCount: 0 });
    expect(webp.frameDurationsMs).toHaveLength(24);
    expect(Math.abs(webp.frameDurationsMs.reduce((a, b) => a + b, 0) - 2000)).toBeLessThanOrEqual(60);
  });
});

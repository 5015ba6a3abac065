import { PRESETS } from '@kiln/jobs';
import { FfmpegMediaAdapter } from '@kiln/media';
import { makeClip, makePng } from '@kiln/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure } from './classify-failure.js';
import { InputError } from './input.errors.js';
import { LimitedMediaAdapter } from './limited-media.adapter.js';

const LIMITS = { maxSeconds: 6 * 3600, maxPixels: 8192 * 4320, maxFps: 240 };
let dir: string;
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-limited-'));
  clip = await makeClip({ seconds: 10, width: 1280, height: 720, audio: false });
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('LimitedMediaAdapter', () => {
  it('fails an encode past its budget for good: an InputError coded encode_budget_exceeded, never retried', async () => {
    const media = new LimitedMediaAdapter(
      new FfmpegMediaAdapter({ budget: { factor: 0.01, floorSeconds: 0 } }),
      LIMITS,
    );
    const info = await media.probe(clip);
    const err = await media
      .transcode({
        input: clip,
        output: join(dir, 'plain.mp4'),
        preset: PRESETS.get('mp4-720p')!,
        media: info,
        threads: 1,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(classifyFailure(err, { attempt: 1, maxAttempts: 3, handingOver: false, lockLost: false }).kind).toBe(
      'final',
    );
    expect(err).toMatchObject({
      code: 'encode_budget_exceeded',
      message: expect.stringMatching(/longer than its budget of 0\.1 s/),
    });
  }, 30_000);

  it('does the same for an encode started before the probe', async () => {
    const media = new LimitedMediaAdapter(
      new FfmpegMediaAdapter({ budget: { factor: 0.01, floorSeconds: 0 } }),
      LIMITS,
    );
    const out = join(dir, 'early.mp4');
    const source = await media.open(clip, { output: out, preset: PRESETS.get('mp4-720p')!, threads: 1 });
    const err = await source
      .transcode({ output: out, preset: PRESETS.get('mp4-720p')!, threads: 1 })
      .catch((e: unknown) => e);
    await source.close();
    expect(err).toMatchObject({ name: 'InputError', code: 'encode_budget_exceeded' });
  }, 30_000);

  it('refuses an 8192x8192 PNG at probe time with input_resolution_too_large', async () => {
    const png = await makePng({ width: 8192, height: 8192 });
    const media = new LimitedMediaAdapter(new FfmpegMediaAdapter({ maxPixels: LIMITS.maxPixels }), LIMITS);
    const err = await media.probe(png).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({
      code: 'input_resolution_too_large',
      message: expect.stringMatching(/8192x8192 \(67108864 pixels\).*35389440 pixels/),
    });
  }, 30_000);

  it('passes an ordinary clip through with its probe result', async () => {
    const media = new LimitedMediaAdapter(new FfmpegMediaAdapter({ maxPixels: LIMITS.maxPixels }), LIMITS);
    expect((await media.probe(clip)).video).toMatchObject({ width: 1280, height: 720, frameCount: 250 });
  });
});

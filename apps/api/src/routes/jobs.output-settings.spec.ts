import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, useApiHarness } from '../testing/api-harness.js';

describe('POST /v1/jobs output settings', () => {
  const harness = useApiHarness();
  const create = (outputs: object[]) =>
    request(harness().app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs });

  it('keeps the settings on the job it creates, on each output as asked', async () => {
    const res = await create([
      { preset: 'mp4-720p', settings: { crf: 20, maxFps: 30 } },
      { preset: 'mp4-1080p', name: 'full', settings: { skipIfBelow: true } },
      { preset: 'thumbnails' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.outputs.map((o: { settings?: object }) => o.settings)).toEqual([
      { crf: 20, maxFps: 30 },
      { skipIfBelow: true },
      undefined,
    ]);
    const read = await request(harness().app).get(`/v1/jobs/${res.body.id}`).set(bearer());
    expect(read.body.outputs[0].settings).toEqual({ crf: 20, maxFps: 30 });
  });

  it('400 naming outputs.<i>.settings.<field>, and creates no job', async () => {
    const before = await harness().line.byCustomer();
    const res = await create([{ preset: 'mp4-360p' }, { preset: 'mp4-720p', settings: { crf: 60, peakKbps: 5 } }]);
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([
      { path: 'outputs.1.settings.peakKbps', message: 'must be at least 100' },
      { path: 'outputs.1.settings.crf', message: 'must be at most 51 for h264' },
    ]);
    const wrongKind = await create([{ preset: 'thumbnails', settings: { audioKbps: 96 } }]);
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.error.fields).toEqual([
      { path: 'outputs.0.settings.audioKbps', message: expect.stringMatching(/^thumbnails has no audioKbps setting/) },
    ]);
    expect(await harness().line.byCustomer()).toEqual(before);
  });
});

describe('POST /v1/jobs clip, loudness and watermark', () => {
  const harness = useApiHarness();
  const create = (edits: { clip?: unknown; loudness?: unknown; watermark?: unknown; outputs?: object[] }) =>
    request(harness().app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs: [{ preset: 'mp4-360p' }], ...edits });

  it('keeps the clip on the job, and refuses one that ends before it starts with a 400 naming clip.endSeconds', async () => {
    const res = await create({ clip: { startSeconds: 1.5, endSeconds: 4 } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const read = await request(harness().app).get(`/v1/jobs/${res.body.id}`).set(bearer());
    expect(read.body.clip).toEqual({ startSeconds: 1.5, endSeconds: 4 });

    const bad = await create({ clip: { startSeconds: 4, endSeconds: 1.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([{ path: 'clip.endSeconds', message: 'must be after startSeconds' }]);
  });

  it('keeps the loudness target on the job with a -1.5 dBTP peak by default, and refuses one out of range with a 400 naming the field', async () => {
    const res = await create({ loudness: { targetLufs: -16 } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const read = await request(harness().app).get(`/v1/jobs/${res.body.id}`).set(bearer());
    expect(read.body.loudness).toEqual({ targetLufs: -16, truePeakDb: -1.5 });
    const before = await harness().line.byCustomer();

    const bad = await create({ loudness: { targetLufs: -80, truePeakDb: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual([
      { path: 'loudness.targetLufs', message: 'must be -70 LUFS or more' },
      { path: 'loudness.truePeakDb', message: 'must be 0 dBTP or less' },
    ]);
    const missing = await create({ loudness: { truePeakDb: -1 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual([
      { path: 'loudness.targetLufs', message: 'must be a number of LUFS, e.g. -16' },
    ]);
    expect(await harness().line.byCustomer()).toEqual(before);
  });

  it('keeps the watermark on the job with its defaults, and refuses a bad one with a 400 naming the field', async () => {
    const image = `file://${harness().inputRoot}/logo.png`;
    const res = await create({ watermark: { image, corner: 'top-left' } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const read = await request(harness().app).get(`/v1/jobs/${res.body.id}`).set(bearer());
    expect(read.body.watermark).toEqual({ image, corner: 'top-left', widthPercent: 15, marginPercent: 3, opacity: 1 });
    const before = await harness().line.byCustomer();

    const outside = await create({ watermark: { image: 'file:///etc/passwd', opacity: 1.5, corner: 'middle' } });
    expect(outside.status).toBe(400);
    expect(outside.body.error.fields).toEqual([
      { path: 'watermark.corner', message: 'must be one of: top-left, top-right, bottom-left, bottom-right' },
      { path: 'watermark.opacity', message: 'must be 1 or less' },
    ]);
    const refused = await create({ watermark: { image: 'file:///etc/passwd' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.fields).toEqual([{ path: 'watermark.image', message: expect.any(String) }]);
    const noUpload = await create({ watermark: { image: 'upload://0b5a3a4e-0000-4000-8000-000000000000' } });
    expect(noUpload.body.error.fields).toEqual([
      { path: 'watermark.image', message: 'no upload 0b5a3a4e-0000-4000-8000-000000000000 for this customer' },
    ]);
    const audioOnly = await create({ watermark: { image }, outputs: [{ preset: 'audio-aac' }] });
    expect(audioOnly.body.error.fields).toEqual([
      { path: 'watermark', message: 'no output of this job has a picture to mark' },
    ]);
    expect(await harness().line.byCustomer()).toEqual(before);
  });
});

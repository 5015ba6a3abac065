import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, useApiHarness } from '../testing/api-harness.js';

describe('POST /v1/jobs output names', () => {
  const harness = useApiHarness();
  const create = (outputs: object[]) =>
    request(harness().app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs });

  it('400 naming outputs.<i>.name when a directory output would be stored where a file output is', async () => {
    for (const outputs of [
      [
        { preset: 'mp4-720p', name: 'a' },
        { preset: 'hls', name: 'a.mp4' },
      ],
      [
        { preset: 'thumbnails', name: 'a.webm' },
        { preset: 'webm-720p', name: 'a' },
      ],
      [{ preset: 'audio-aac', name: 'x' }, { preset: 'mp4-360p' }, { preset: 'thumbnails', name: 'x.m4a' }],
    ]) {
      const res = await create(outputs);
      expect(res.status, JSON.stringify(outputs)).toBe(400);
      const clash = outputs.length - 1;
      expect(res.body.error.fields, JSON.stringify(res.body)).toEqual([
        { path: `outputs.${clash}.name`, message: expect.stringMatching(/is stored as .*the same place as output/) },
      ]);
    }
    expect(await harness().line.byCustomer()).toEqual([]);
  });

  it('still refuses duplicate names and accepts names that only look alike', async () => {
    const dup = await create([
      { preset: 'mp4-720p', name: 'a' },
      { preset: 'webm-720p', name: 'a' },
    ]);
    expect(dup.status).toBe(400);
    expect(dup.body.error.fields).toEqual([
      { path: 'outputs.1.name', message: expect.stringMatching(/duplicate output name "a"/) },
    ]);
    // a.mp4 and a.mp4.mp4, a.hls/ and a.mp4: different places in storage and different download paths.
    const ok = await create([
      { preset: 'mp4-720p', name: 'a' },
      { preset: 'mp4-360p', name: 'a.mp4' },
      { preset: 'hls', name: 'a.hls' },
    ]);
    expect(ok.status, JSON.stringify(ok.body)).toBe(202);
  });
});

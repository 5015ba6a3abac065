import type { Job } from '@kiln/jobs';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_A2, KEY_B, type ApiHarness, useApiHarness } from '../testing/api-harness.js';

describe('POST /v1/jobs with Idempotency-Key', () => {
  let h: ApiHarness;
  const body = () => ({
    input: `file://${h.inputRoot}/a.mp4`,
    outputs: [{ preset: 'mp4-360p' }],
    metadata: { title: 't', run: '1' },
  });
  const post = (key: string, payload: object, apiKey?: string) =>
    request(h.app).post('/v1/jobs').set(bearer(apiKey)).set('Idempotency-Key', key).send(payload);

  /** Jobs waiting in the fair-share line (no worker runs here, so every created job waits). */
  const waitingInLine = async () => (await h.line.byPriority()).reduce((n, p) => n + p.waiting, 0);

  const harness = useApiHarness();
  beforeAll(() => {
    h = harness();
  });

  it('returns the same job for the same key and body, marked as replayed, with the key in Redis for 24 h', async () => {
    const first = await post('order-1', body());
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same body, keys in another order: still the same request.
    const b = body();
    const second = await post('order-1', { metadata: { run: '1', title: 't' }, outputs: b.outputs, input: b.input });
    expect(second.status).toBe(202);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.location).toBe(`/v1/jobs/${first.body.id}`);
    expect(
      (await request(h.app).get('/v1/jobs?limit=100').set(bearer())).body.data.filter(
        (j: Job) => j.id === first.body.id,
      ),
    ).toHaveLength(1);
    expect(await waitingInLine()).toBe(1);

    const redisKey = `${h.prefix}:idem:acme:order-1`;
    expect(JSON.parse((await h.redis.get(redisKey))!)).toMatchObject({ jobId: first.body.id });
    const ttl = await h.redis.ttl(redisKey);
    expect(ttl).toBeGreaterThan(24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('is a 409 naming the header when the key comes back with another body', async () => {
    const first = await post('order-2', body());
    expect(first.status).toBe(202);
    const other = await post('order-2', { ...body(), outputs: [{ preset: 'mp4-720p' }] });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({
      code: 'idempotency_key_reused',
      message: expect.stringContaining('Idempotency-Key'),
      fields: [{ path: 'Idempotency-Key', message: expect.any(String) }],
    });
  });

  it('keeps keys per customer, and shares them between the keys of one customer', async () => {
    const acme = await post('shared-key', body());
    const globex = await post('shared-key', body(), KEY_B);
    expect(globex.status).toBe(202);
    expect(globex.headers['idempotent-replayed']).toBeUndefined();
    expect(globex.body.id).not.toBe(acme.body.id);
    expect(globex.body.customerId).toBe('globex');
    const acmeOtherKey = await post('shared-key', body(), KEY_A2);
    expect(acmeOtherKey.body.id).toBe(acme.body.id);
  });

  it('creates exactly one job when the same request races itself', async () => {
    const before = await waitingInLine();
    const answers = await Promise.all(Array.from({ length: 12 }, () => post('race-1', body())));
    expect(answers.map((a) => a.status)).toEqual(new Array(12).fill(202));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
    expect(await waitingInLine()).toBe(before + 1);
  });

  it('400 naming Idempotency-Key for an empty or over-long key; 255 characters are fine', async () => {
    for (const key of ['', 'k'.repeat(256)]) {
      const res = await post(key, body());
      expect(res.status, `length ${key.length}`).toBe(400);
      expect(res.body.error.fields).toEqual([
        { path: 'Idempotency-Key', message: expect.stringContaining('Idempotency-Key') },
      ]);
    }
    expect((await post('k'.repeat(255), body())).status).toBe(202);
  });

  it('stores nothing for an invalid body, so the key stays usable', async () => {
    const bad = await post('order-3', { input: `file://${h.inputRoot}/a.mp4`, outputs: [{ preset: 'nope' }] });
    expect(bad.status).toBe(400);
    expect(await h.redis.exists(`${h.prefix}:idem:acme:order-3`)).toBe(0);
    expect((await post('order-3', body())).status).toBe(202);
  });
});

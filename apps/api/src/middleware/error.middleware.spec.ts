import { createRequestRedisConnection, JobRepository } from '@kiln/jobs';
import { getFreePort } from '@kiln/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, useApiHarness } from '../testing/api-harness.js';
import { redisRateLimitStore } from './rate-limit.middleware.js';

describe('errorHandler with Redis unavailable', () => {
  let dead: Redis;
  const harness = useApiHarness();
  beforeAll(async () => {
    // Nothing listens on this port: every command fails as it does while Redis is away.
    dead = createRequestRedisConnection(`redis://127.0.0.1:${await getFreePort()}`, { commandTimeoutMs: 500 });
    dead.on('error', () => undefined);
  });
  afterAll(() => dead.disconnect());

  it('answers 503 redis_unavailable with Retry-After from a route, at once', async () => {
    const app = harness().sibling({ repo: new JobRepository(dead, harness().prefix) });
    const t0 = performance.now();
    const res = await request(app).get('/v1/jobs').set(bearer());
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ error: { code: 'redis_unavailable' } });
  });

  it('answers the same from the rate limiter, whose counters are in Redis', async () => {
    const app = harness().sibling({
      rateLimit: { perMinute: 100, store: redisRateLimitStore(dead, harness().prefix) },
    });
    const res = await request(app).get('/v1/presets').set(bearer());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ error: { code: 'redis_unavailable' } });
  });
});

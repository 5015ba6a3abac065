import { createRequestRedisConnection, JobRepository, type RedisClient } from '@kiln/jobs';
import { EmptyUploadError, UploadAbortedError } from '@kiln/storage';
import { getFreePort } from '@kiln/testing';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, useApiHarness } from '../testing/api-harness.js';
import { IdempotencyKeyInUseError, RedisUnavailableError } from '../http.errors.js';
import { errorHandler } from './error.middleware.js';
import { redisRateLimitStore } from './rate-limit.middleware.js';

describe('errorHandler with Redis unavailable', () => {
  let dead: RedisClient;
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

describe('errorHandler', () => {
  const answer = (err: unknown) => {
    const app = express();
    app.get('/', () => {
      throw err;
    });
    app.use(errorHandler(pino({ level: 'silent' })));
    return request(app).get('/');
  };

  it('answers an HTTP error with its own status, code, message and fields', async () => {
    const res = await answer(new IdempotencyKeyInUseError('still running'));
    expect([res.status, res.body]).toEqual([
      409,
      {
        error: {
          code: 'idempotency_key_in_use',
          message: 'still running',
          fields: [{ path: 'Idempotency-Key', message: 'still running' }],
        },
      },
    ]);
    const unavailable = await answer(new RedisUnavailableError());
    expect([unavailable.status, unavailable.headers['retry-after'], unavailable.body.error.code]).toEqual([
      503,
      '5',
      'redis_unavailable',
    ]);
  });

  it('answers a mapped package error with its status and its own code, and anything else with a bare 500', async () => {
    const aborted = await answer(new UploadAbortedError());
    expect([aborted.status, aborted.body]).toEqual([
      400,
      { error: { code: 'upload_aborted', message: 'the upload was interrupted before its end' } },
    ]);
    const unmapped = await answer(new EmptyUploadError());
    expect([unmapped.status, unmapped.body]).toEqual([500, { error: { code: 'internal', message: 'internal error' } }]);
  });
});

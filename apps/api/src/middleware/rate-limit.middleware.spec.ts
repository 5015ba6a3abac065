import { randomUUID } from 'node:crypto';
import { createRequestRedisConnection, redisReady, type RedisClient } from '@kiln/jobs';
import { startRedisCluster, type RedisClusterHandle } from '@kiln/testing';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_A, KEY_A2, KEY_B, type ApiHarness, useApiHarness } from '../testing/api-harness.js';
import { rateLimitPerKey, redisRateLimitStore } from './rate-limit.middleware.js';

describe('rate limit per API key', () => {
  let h: ApiHarness;
  const limited = (perMinute: number) =>
    h.sibling({ rateLimit: { perMinute, store: redisRateLimitStore(h.redis, h.prefix) } });

  const harness = useApiHarness();
  beforeAll(() => {
    h = harness();
  });

  it('answers 429 with Retry-After and the JSON error once a key used its budget, counted across API processes', async () => {
    // Two apps with their own stores on one Redis: two API processes.
    const [one, two] = [limited(3), limited(3)];
    expect((await request(one).get('/v1/me').set(bearer(KEY_A))).status).toBe(200);
    expect((await request(two).get('/v1/presets').set(bearer(KEY_A))).status).toBe(200);
    const third = await request(one).get('/v1/me').set(bearer(KEY_A));
    expect(third.status).toBe(200);
    expect(third.headers.ratelimit).toMatch(/remaining=0/);
    const over = await request(two).get('/v1/me').set(bearer(KEY_A));
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(over.body).toEqual({
      error: { code: 'rate_limited', message: expect.stringContaining('3 requests per minute') },
    });
    expect(over.headers['content-security-policy']).toBeDefined();

    // Other keys, even the same customer's second key, have their own budget.
    expect((await request(one).get('/v1/me').set(bearer(KEY_B))).status).toBe(200);
    expect((await request(one).get('/v1/me').set(bearer(KEY_A2))).status).toBe(200);
    // The counter lives in Redis under the farm's prefix, not under the raw key.
    const keys = await h.redis.keys(`${h.prefix}:ratelimit:*`);
    expect(keys.length).toBe(3);
    expect(keys.join()).not.toContain(KEY_A);
  });

  it('does not count or limit probes, docs or unauthenticated requests, and 0 turns it off', async () => {
    const app = limited(1);
    for (let i = 0; i < 3; i++) {
      expect((await request(app).get('/healthz')).status).toBe(200);
      expect((await request(app).get('/openapi.json')).status).toBe(200);
      expect((await request(app).get('/v1/me')).status).toBe(401);
    }
    const off = limited(0);
    for (let i = 0; i < 5; i++) expect((await request(off).get('/v1/me').set(bearer(KEY_B))).status).toBe(200);
  });
});

describe('rate limit per API key on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let redis: RedisClient;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = createRequestRedisConnection({ url: cluster.url, cluster: true }, { commandTimeoutMs: 1000 });
    await redisReady(redis);
  }, 30_000);
  afterAll(async () => {
    await redis?.quit();
    await cluster?.stop();
  });

  it("counts on the prefix's node: its scripts are loaded where the EVALSHA is sent", async () => {
    // SCRIPT LOAD names no key; loaded on one node picked at random, the EVALSHA routed by its
    // key would find no script there (NOSCRIPT) and the request would fail. Four API processes
    // (each its own store, loading the scripts itself) share one budget.
    const prefix = `{test-${randomUUID()}}`;
    const apps = Array.from({ length: 4 }, () => {
      const app = express();
      app.use((req, _res, next) => {
        req.apiKeyId = 'key-one';
        next();
      });
      app.use(rateLimitPerKey({ perMinute: 4, store: redisRateLimitStore(redis, prefix) }));
      app.get('/', (_req, res) => void res.json({ ok: true }));
      return app;
    });
    const statuses: number[] = [];
    for (const app of [...apps, apps[0]!]) statuses.push((await request(app).get('/')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });
});

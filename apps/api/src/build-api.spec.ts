import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { useRedis, UNREACHABLE_PUSHER_ENV, listenOnLoopback } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { buildApi } from './build-api.js';
import { apiConfigSchema } from './config.js';

const db = useRedis();

describe('buildApi', () => {
  it('builds the API main.ts listens on, its app made once Redis answers: health, readiness, authorized routes, an idempotent stop', async () => {
    const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-build-api-'));
    const config = loadConfig(apiConfigSchema, {
      REDIS_URL: db.url,
      KILN_REDIS_PREFIX: `test-${randomUUID()}`,
      KILN_API_KEYS: 'acme:key-acme-0123456789abcdef',
      KILN_STORAGE_DIR: storageDir,
      ...UNREACHABLE_PUSHER_ENV,
    });
    const built = buildApi(config, { logger: createLogger({ name: 'api', level: 'silent' }) });
    // The rate limiter loads its scripts as the app is made, so the app waits for Redis.
    expect(() => built.app).toThrow('once start() has resolved');
    await built.start();
    const base = await listenOnLoopback(built.server);
    try {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, boolean> };
      expect(ready.checks.redis).toBe(true);
      const jobs = await fetch(`${base}/v1/jobs`, { headers: { authorization: 'Bearer key-acme-0123456789abcdef' } });
      expect(jobs.status).toBe(200);
      expect((await fetch(`${base}/v1/jobs`)).status).toBe(401);
    } finally {
      const stopping = built.stop();
      expect(built.stop()).toBe(stopping);
      await stopping;
      await rm(storageDir, { recursive: true, force: true });
    }
    expect(built.server.listening).toBe(false);
  });

  it('warns without KILN_SIGNING_SECRET and signs with a secret of its own: another API process refuses its tokens', async () => {
    const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-build-api-'));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const env = {
      REDIS_URL: db.url,
      KILN_REDIS_PREFIX: `test-${randomUUID()}`,
      KILN_API_KEYS: 'acme:key-acme-0123456789abcdef',
      KILN_STORAGE_DIR: storageDir,
      ...UNREACHABLE_PUSHER_ENV,
    };
    const apis = [0, 1].map(() =>
      buildApi(loadConfig(apiConfigSchema, env), { logger: createLogger({ name: 'api', level: 'warn' }, sink) }),
    );
    try {
      await Promise.all(apis.map((a) => a.start()));
      const [one, two] = await Promise.all(apis.map((a) => listenOnLoopback(a.server)));
      expect(lines.filter((l) => l.includes('KILN_SIGNING_SECRET is not set'))).toHaveLength(2);
      const minted = await fetch(`${one}/v1/realtime/viewer-tokens`, {
        method: 'POST',
        headers: { authorization: 'Bearer key-acme-0123456789abcdef' },
      });
      const { token } = (await minted.json()) as { token: string };
      const me = (base: string) => fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect((await me(one!)).status).toBe(200);
      expect((await me(two!)).status).toBe(401);
    } finally {
      await Promise.all(apis.map((a) => a.stop()));
      await rm(storageDir, { recursive: true, force: true });
    }
  });
});

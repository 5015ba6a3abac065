import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { useRedis, UNREACHABLE_PUSHER_ENV, listenOnLoopback } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { buildWorker } from './build-worker.js';
import { workerConfigSchema } from './config.js';

const db = useRedis();

describe('buildWorker', () => {
  it('runs the BullMQ worker once started, serves health, readiness and metrics, and stops it on stop()', async () => {
    const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-build-worker-'));
    const config = loadConfig(workerConfigSchema, {
      REDIS_URL: db.url,
      KILN_REDIS_PREFIX: `test-${randomUUID()}`,
      KILN_STORAGE_DIR: storageDir,
      KILN_SHUTDOWN_GRACE_S: '1',
      ...UNREACHABLE_PUSHER_ENV,
    });
    const built = buildWorker(config, createLogger({ name: 'worker', level: 'silent' }));
    expect(built.workers.every((w) => w.isRunning())).toBe(false);
    await built.start();
    const base = await listenOnLoopback(built.server);
    try {
      expect(built.workers.every((w) => w.isRunning())).toBe(true);
      expect(built.storage).toEqual({ kind: 'local', bucket: undefined });
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, boolean> };
      expect(ready.checks).toMatchObject({ redis: true, running: true });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('kiln_realtime_events_total');
      expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await built.stop();
      await rm(storageDir, { recursive: true, force: true });
    }
    expect(built.workers.every((w) => w.isRunning())).toBe(false);
  });
});

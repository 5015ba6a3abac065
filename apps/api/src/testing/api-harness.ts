import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bullPrefix, ENCODE_QUEUE, JobRepository, JobStatsRepository, type EncodeJobData } from '@kiln/jobs';
import { GatedPublisher, JobAnnouncer, PusherTransport, RealtimeMetrics } from '@kiln/realtime';
import { LocalStorage, UploadStorage } from '@kiln/storage';
import { startRedis, type RedisHandle } from '@kiln/testing';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll } from 'vitest';
import { createApp, type ApiDeps } from '../app.js';
import { redisRateLimitStore } from '../middleware/rate-limit.middleware.js';
import { IdempotencyRepository } from '../services/idempotency.repository.js';
import { InputPolicy } from '../services/input-policy.js';
import { JobService } from '../services/job.service.js';
import { JobDeletionService } from '../services/job-deletion.service.js';
import { StatsService } from '../services/stats.service.js';

export const KEY_A = 'key-acme-0123456789abcdef';
export const KEY_B = 'key-globex-0123456789abcdef';
export const KEY_A2 = 'key-acme-second-0123456789';

/** An API app on a real Redis with its own key prefix, temp dirs, and what tests look at. */
export interface ApiHarness {
  app: Express;
  redis: Redis;
  prefix: string;
  queue: Queue<EncodeJobData>;
  repo: JobRepository;
  inputRoot: string;
  storageDir: string;
  /** Job ids the workers were told to cancel. */
  cancels: string[];
  /** Another app on the same Redis, prefix and directories (a second API process). */
  sibling(overrides?: Partial<ApiDeps>): Express;
  close(): Promise<void>;
}

/**
 * Builds the app the way `main.ts` does, on `redisUrl` under a fresh `test-<uuid>` prefix, with
 * acme (two keys) and globex as customers. `overrides` replace individual dependencies.
 */
export async function startApiHarness(redisUrl: string, overrides: Partial<ApiDeps> = {}): Promise<ApiHarness> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `test-${randomUUID()}`;
  const inputRoot = await mkdtemp(path.join(tmpdir(), 'kiln-api-in-'));
  const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-api-st-'));
  const queue = new Queue<EncodeJobData>(ENCODE_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  const registry = new Registry();
  const metrics = new RealtimeMetrics(registry);
  const settings = { appId: '1', key: 'pk', secret: 'ps', cluster: 'mt1', host: '127.0.0.1', port: 9, useTLS: false };
  const transport = new PusherTransport(settings, metrics);
  const silent = pino({ level: 'silent' });
  // Nobody watches in these tests: the gate is closed, so no Pusher call is attempted.
  const publisher = new GatedPublisher({
    gate: { isOccupied: async () => false },
    sink: transport,
    metrics,
    logger: silent,
  });
  const repo = new JobRepository(redis, prefix);
  const uploads = new UploadStorage(storageDir);
  const cancels: string[] = [];
  const jobs = new JobService({
    repo,
    queue,
    announcer: new JobAnnouncer(publisher),
    inputPolicy: new InputPolicy([inputRoot], uploads),
    logger: silent,
    notifyCancel: async (id) => cancels.push(id),
    idempotency: new IdempotencyRepository(redis, prefix),
  });
  const build = (extra: Partial<ApiDeps>) =>
    createApp({
      logger: silent,
      registry,
      apiKeys: new Map([
        [KEY_A, 'acme'],
        [KEY_A2, 'acme'],
        [KEY_B, 'globex'],
      ]),
      jobs,
      deletion: new JobDeletionService(repo, queue, new LocalStorage(storageDir), silent),
      repo,
      storage: new LocalStorage(storageDir),
      uploads,
      maxUploadBytes: 1024 * 1024,
      stats: new StatsService(new JobStatsRepository(redis, prefix)),
      pusher: transport.client,
      publicPusher: { key: 'pk', cluster: 'mt1', wsHost: 'ws.example', wsPort: 6001, forceTLS: false },
      corsOrigins: ['http://dash.example'],
      rateLimit: { perMinute: 0, store: redisRateLimitStore(redis, prefix) },
      ready: async () => ({ redis: true }),
      ...extra,
    });
  return {
    app: build(overrides),
    redis,
    prefix,
    queue,
    repo,
    inputRoot,
    storageDir,
    cancels,
    sibling: (extra = {}) => build({ ...overrides, ...extra }),
    close: async () => {
      await queue.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await rm(inputRoot, { recursive: true, force: true });
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** The Authorization header of an API key. */
export const bearer = (key = KEY_A) => ({ Authorization: `Bearer ${key}` });

/**
 * For a `describe` block: starts a Redis and an API harness before its tests and stops both after
 * them. Returns a getter for the harness (it exists only once the tests run).
 */
export function useApiHarness(overrides: Partial<ApiDeps> = {}): () => ApiHarness {
  let server: RedisHandle | undefined;
  let harness: ApiHarness | undefined;
  beforeAll(async () => {
    server = await startRedis();
    harness = await startApiHarness(server.url, overrides);
  });
  afterAll(async () => {
    await harness?.close();
    await server?.stop();
  });
  return () => {
    if (!harness) throw new Error('the API harness starts in beforeAll; use it inside tests');
    return harness;
  };
}

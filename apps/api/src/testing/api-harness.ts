import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@kiln/config';
import { bullPrefix, ENCODE_QUEUE, JobRepository, type EncodeJobData } from '@kiln/jobs';
import { FairQueue, FleetRepository } from '@kiln/scheduler';
import { startRedis, type RedisHandle, UNREACHABLE_PUSHER_ENV } from '@kiln/testing';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createApp, type ApiDeps } from '../app.js';
import { buildApi } from '../build-api.js';
import { apiConfigSchema } from '../config.js';
import { FleetService } from '../services/fleet.service.js';

export const KEY_A = 'key-acme-0123456789abcdef';
export const KEY_B = 'key-globex-0123456789abcdef';
export const KEY_A2 = 'key-acme-second-0123456789';

/** An API app on a real Redis with its own key prefix, temp dirs, and what tests look at. */
export interface ApiHarness {
  app: Express;
  redis: Redis;
  prefix: string;
  /** The default pool's BullMQ queue (jobs reach it only when a worker is online). */
  queue: Queue<EncodeJobData>;
  /** The fair-share line jobs wait in. */
  line: FairQueue;
  repo: JobRepository;
  inputRoot: string;
  storageDir: string;
  /** Job ids the workers were told to cancel. */
  cancels: string[];
  /** The fleet view on this Redis and prefix, for admin settings (`{user, password, queues, fleet}`). */
  fleet: FleetService;
  /** Another app on the same Redis, prefix and directories (a second API process). */
  sibling(overrides?: Partial<ApiDeps>): Express;
  close(): Promise<void>;
}

/** The config of a harness API: acme (two keys) and globex, no rate limit, a 1 MiB upload limit. */
function harnessConfig(
  redisUrl: string,
  prefix: string,
  dirs: { inputRoot: string; storageDir: string },
  env: Record<string, string>,
) {
  return loadConfig(apiConfigSchema, {
    REDIS_URL: redisUrl,
    KILN_REDIS_PREFIX: prefix,
    // Generous: tests on a busy machine must not see the fail-fast 503s a production timeout gives.
    KILN_REDIS_COMMAND_TIMEOUT_MS: '60000',
    KILN_API_KEYS: `acme:${KEY_A},acme:${KEY_A2},globex:${KEY_B}`,
    KILN_INPUT_ROOTS: dirs.inputRoot,
    KILN_STORAGE_DIR: dirs.storageDir,
    KILN_MAX_UPLOAD_BYTES: String(1024 * 1024),
    KILN_DASHBOARD_ORIGINS: 'http://dash.example',
    KILN_RATE_LIMIT_PER_MIN: '0',
    KILN_UPLOAD_TTL_H: '0',
    // Nobody watches in these tests: the occupancy gate stays closed, so no Pusher call is attempted.
    ...UNREACHABLE_PUSHER_ENV,
    KILN_PUSHER_WS_HOST: 'ws.example',
    KILN_PUSHER_WS_PORT: '6001',
    ...env,
  });
}

/**
 * Builds the API with `buildApi`, as `main.ts` does, on `redisUrl` under a fresh `test-<uuid>`
 * prefix, with acme (two keys) and globex as customers. Only the logger (silent), the cancel
 * notice (recorded in `cancels`) and readiness (Redis only: there is no Pusher) are replaced;
 * `overrides` replace further dependencies of the app, `env` variables of its config. The harness's own Redis connection, queue
 * and repository are for tests to look at and arrange state with.
 */
export async function startApiHarness(
  redisUrl: string,
  overrides: Partial<ApiDeps> = {},
  env: Record<string, string> = {},
): Promise<ApiHarness> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `test-${randomUUID()}`;
  const inputRoot = await mkdtemp(path.join(tmpdir(), 'kiln-api-in-'));
  const storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-api-st-'));
  const queue = new Queue<EncodeJobData>(ENCODE_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  const cancels: string[] = [];
  const built = buildApi(harnessConfig(redisUrl, prefix, { inputRoot, storageDir }, env), {
    logger: pino({ level: 'silent' }),
    notifyCancel: async (id) => cancels.push(id),
    app: { ready: async () => ({ redis: true }), ...overrides },
  });
  await built.start();
  const line = new FairQueue(redis, prefix);
  return {
    app: built.app,
    redis,
    prefix,
    queue,
    line,
    repo: new JobRepository(redis, prefix),
    inputRoot,
    storageDir,
    cancels,
    fleet: new FleetService({ fleet: new FleetRepository(redis, prefix), queue: line }),
    sibling: (extra = {}) => createApp({ ...built.deps, ...extra }),
    close: async () => {
      await built.stop();
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
export function useApiHarness(overrides: Partial<ApiDeps> = {}, env: Record<string, string> = {}): () => ApiHarness {
  let server: RedisHandle | undefined;
  let harness: ApiHarness | undefined;
  beforeAll(async () => {
    server = await startRedis();
    harness = await startApiHarness(server.url, overrides, env);
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

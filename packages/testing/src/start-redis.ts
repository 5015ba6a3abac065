import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnRedisServer } from '@kiln/stack';

/** A Redis for a test, and where it came from. */
export interface RedisHandle {
  url: string;
  source: 'env' | 'container' | 'process';
  /** Stops what this call started (a no-op for REDIS_URL). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Where REDIS_URL and DOCKER_HOST are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long a Docker engine may take to answer before we fall back (default 1000 ms). */
  containerProbeMs?: number;
}

/**
 * Asking for a Docker engine is worth it only when one could be there: with no DOCKER_HOST and
 * no default socket, testcontainers is not even loaded (its probe says no in 2-19 ms, but
 * importing it costs more).
 */
function containerRuntimeMayExist(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function tryContainer(env: NodeJS.ProcessEnv, probeMs: number): Promise<RedisHandle | undefined> {
  if (!containerRuntimeMayExist(env)) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no container runtime answered')), probeMs);
      }),
    ]);
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    let stopped: Promise<void> | undefined;
    return {
      url: container.getConnectionUrl(),
      source: 'container',
      stop: () => (stopped ??= container.stop().then(() => undefined)),
    };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A real Redis for a test: REDIS_URL when set (shared, so use your own key prefix and never
 * FLUSH), else a testcontainers Redis when a Docker engine answers, else the machine's
 * `redis-server` on a free port with its data in a fresh temp dir (removed on stop).
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  const env = opts.env ?? process.env;
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'env', stop: async () => undefined };
  const container = await tryContainer(env, opts.containerProbeMs ?? 1000);
  if (container) return container;
  const dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-'));
  try {
    const server = await spawnRedisServer({ dir });
    let stopped: Promise<void> | undefined;
    return {
      url: server.url,
      source: 'process',
      stop: () =>
        (stopped ??= (async () => {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

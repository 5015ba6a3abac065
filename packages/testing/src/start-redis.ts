import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnRedisServer } from '@kiln/stack';

export interface RedisHandle {
  url: string;
  source: 'env' | 'container' | 'process';
  stop(): Promise<void>;
}

/**
 * A Docker engine is worth asking only if one could be there: without DOCKER_HOST and without
 * the default socket, testcontainers' own probe is skipped (it costs 2-19 ms to say no, but
 * loading it costs more).
 */
function containerRuntimeMayExist(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function tryContainer(): Promise<RedisHandle | undefined> {
  if (!containerRuntimeMayExist()) return undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), 1500))]);
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return { url: container.getConnectionUrl(), source: 'container', stop: async () => void (await container.stop()) };
  } catch {
    return undefined;
  }
}

/**
 * A real Redis for a test: `REDIS_URL` when set (left running), else a testcontainers Redis when
 * a Docker engine answers, else the machine's `redis-server` on a free port in a temp dir.
 */
export async function startRedis(): Promise<RedisHandle> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, source: 'env', stop: async () => undefined };
  const container = await tryContainer();
  if (container) return container;
  const dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-'));
  const server = await spawnRedisServer({ dir });
  return {
    url: server.url,
    source: 'process',
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type RedisHandle } from './start-redis.js';

/** The Redis of a `describe` block, readable once its tests run. */
export interface UsedRedis {
  /** A connection opened with the options given to {@link useRedis}. */
  readonly redis: Redis;
  /** Where the Redis listens, for more connections. */
  readonly url: string;
  readonly server: RedisHandle;
}

/**
 * For a `describe` block (or a spec file): starts a Redis ({@link startRedis}) and opens one
 * connection with `options` before its tests, and quits and stops both after them. The getters
 * throw when read before `beforeAll` ran, i.e. outside tests.
 */
export function useRedis(options: RedisOptions = {}): UsedRedis {
  let server: RedisHandle | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, options);
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });
  const started = () => {
    if (!server || !redis) throw new Error('useRedis starts Redis in beforeAll; use it inside tests');
    return { server, redis };
  };
  return {
    get redis() {
      return started().redis;
    },
    get url() {
      return started().server.url;
    },
    get server() {
      return started().server;
    },
  };
}

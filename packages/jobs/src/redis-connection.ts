import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis connection the way BullMQ needs it: `maxRetriesPerRequest: null` so blocking
 * commands survive reconnects (BullMQ refuses worker connections without it).
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

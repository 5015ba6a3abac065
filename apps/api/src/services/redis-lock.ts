import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@kiln/jobs';

const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/**
 * A lease held by one process at a time (SET NX PX with a random token), so periodic work that
 * every API process schedules runs in one of them. It expires by itself if its holder dies; only
 * the holder can extend or release it.
 */
export class RedisLock {
  private readonly token = randomUUID();

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** True when this process now holds the lease. */
  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Renews the lease for another ttl; false when it was lost (expired and taken). */
  async extend(): Promise<boolean> {
    return Number(await this.redis.eval(EXTEND_SCRIPT, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  /** Gives the lease up if this process still holds it. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key, this.token);
  }
}

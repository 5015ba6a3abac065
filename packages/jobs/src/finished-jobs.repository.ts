import type { RedisClient } from './redis-connection.js';
import { JobKeys } from './job-index.keys.js';

/**
 * The index of finished jobs (completed, failed, cancelled) by `finishedAt`, which the job store
 * keeps on every write: retention reads the oldest entries, so a sweep costs O(expired jobs).
 */
export class FinishedJobsRepository {
  private readonly keys: JobKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new JobKeys(prefix);
  }

  /** Ids of at most `limit` jobs that finished before `beforeMs` (ms since the epoch), oldest first. */
  async finishedBefore(beforeMs: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.finished(), '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
  }

  /** Drops an entry whose job no longer exists. */
  async forget(id: string): Promise<void> {
    await this.redis.zrem(this.keys.finished(), id);
  }
}

import type { RedisClient } from './redis-connection.js';
import { JobKeys } from './job-index.keys.js';
import { JOB_STATUSES, type JobStatus } from './job.schema.js';

/** What `GET /v1/stats` is computed from, read in one round trip. */
export interface JobCounters {
  /** Jobs by status, every status present. */
  counts: Record<JobStatus, number>;
  /** Jobs created in each requested window, in order. */
  created: number[];
  /** Sum and number of the encode speeds of the customer's completed jobs (those with a speed). */
  speedSum: number;
  speedCount: number;
}

/**
 * The counters the job store keeps on every write (see `job-index.scripts.ts`): ZCARD of each
 * status index, ZCOUNT over creation times for per-hour figures, and the speed sums. One
 * pipeline of 8 + windows commands, each O(1) or O(log n): no job is read.
 */
export class JobStatsRepository {
  private readonly keys: JobKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new JobKeys(prefix);
  }

  /** The customer's counters, with the jobs it created in each `[from, to)` window (ms since the epoch). */
  async counters(customerId: string, windows: readonly [number, number][]): Promise<JobCounters> {
    const pipeline = this.redis.pipeline();
    for (const status of JOB_STATUSES) pipeline.zcard(this.keys.status(customerId, status));
    for (const [from, to] of windows) pipeline.zcount(this.keys.customer(customerId), from, `(${to}`);
    pipeline.hmget(this.keys.stats(customerId), 'speedSum', 'speedCount');
    const rows = (await pipeline.exec()) ?? [];
    const failed = rows.find(([err]) => err);
    if (failed) throw failed[0];
    const values = rows.map(([, v]) => v);
    const counts = Object.fromEntries(JOB_STATUSES.map((s, i) => [s, Number(values[i] ?? 0)])) as Record<
      JobStatus,
      number
    >;
    const created = values.slice(JOB_STATUSES.length, JOB_STATUSES.length + windows.length).map(Number);
    const [sum, count] = (values.at(-1) ?? []) as (string | null)[];
    return { counts, created, speedSum: Number(sum ?? 0), speedCount: Number(count ?? 0) };
  }
}

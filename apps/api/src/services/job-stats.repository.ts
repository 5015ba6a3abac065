import type { JobStatus } from '@kiln/jobs';
import type { Redis } from 'ioredis';

/** The fields of a job that stats need, read without decoding the rest. */
export interface JobSummary {
  status: JobStatus;
  startedAt: string | null;
  finishedAt: string | null;
  outputs: { durationSeconds: number | null }[];
  progress: { speed: number | null };
}

const CHUNK = 1_000;

/**
 * Read-only queries over the job store for `GET /v1/stats`, cheaper than `JobRepository.list`:
 * only the fields stats use, and per-hour counts from the customer index's scores (creation
 * times) with ZCOUNT. It reads the layout JobRepository writes (`<prefix>:job:<id>` hashes,
 * `<prefix>:customer:<id>:jobs` sorted by creation ms); its spec writes through JobRepository, so
 * a change of layout there fails it.
 */
export class JobStatsRepository {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private indexKey(customerId: string): string {
    return `${this.prefix}:customer:${customerId}:jobs`;
  }

  /** The customer's `limit` newest jobs, newest first, and how many it has in all. */
  async newest(customerId: string, limit: number): Promise<{ jobs: JobSummary[]; total: number }> {
    const key = this.indexKey(customerId);
    const [total, ids] = await Promise.all([this.redis.zcard(key), this.redis.zrevrange(key, 0, limit - 1)]);
    const jobs: JobSummary[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const pipeline = this.redis.pipeline();
      for (const id of ids.slice(i, i + CHUNK)) pipeline.hmget(`${this.prefix}:job:${id}`, 'status', 'startedAt', 'finishedAt', 'outputs', 'progress');
      for (const [err, row] of (await pipeline.exec()) ?? []) {
        const [status, startedAt, finishedAt, outputs, progress] = (row ?? []) as (string | null)[];
        if (err || !status) continue;
        // Only completed jobs need their outputs and progress (for the speed): skip the JSON otherwise.
        const done = status === 'completed';
        jobs.push({
          status: status as JobStatus,
          startedAt: startedAt || null,
          finishedAt: finishedAt || null,
          outputs: done && outputs ? (JSON.parse(outputs) as JobSummary['outputs']) : [],
          progress: done && progress ? (JSON.parse(progress) as JobSummary['progress']) : { speed: null },
        });
      }
    }
    return { jobs, total };
  }

  /** Jobs the customer created in each `[from, to)` window (ms since the epoch). */
  async countCreated(customerId: string, windows: [number, number][]): Promise<number[]> {
    const pipeline = this.redis.pipeline();
    for (const [from, to] of windows) pipeline.zcount(this.indexKey(customerId), from, `(${to}`);
    return ((await pipeline.exec()) ?? []).map(([err, n]) => (err ? 0 : Number(n)));
  }
}

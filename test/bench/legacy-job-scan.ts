import type { Redis } from 'ioredis';

/**
 * The job listing and stats as they were before the per-status indexes and counters (kept here
 * verbatim in substance, as the benchmark's baseline): a status filter scanned the customer's
 * index of all jobs and read every hash until the page was full, and stats read the newest
 * 10,000 jobs' hashes. Only the figures they cost matter here; they return what they read.
 */
export async function legacyList(
  redis: Redis,
  prefix: string,
  customerId: string,
  opts: { limit: number; status?: string; offset?: number },
): Promise<{ ids: string[]; next: number | null }> {
  const key = `${prefix}:customer:${customerId}:jobs`;
  let start = opts.offset ?? 0;
  const ids: string[] = [];
  const batch = Math.max(opts.limit * 2, 50);
  for (;;) {
    const page = await redis.zrevrange(key, start, start + batch - 1);
    if (page.length === 0) return { ids, next: null };
    const pipeline = redis.pipeline();
    for (const id of page) pipeline.hgetall(`${prefix}:job:${id}`);
    const rows = (await pipeline.exec()) ?? [];
    for (let i = 0; i < page.length; i++) {
      const raw = rows[i]?.[1] as Record<string, string> | undefined;
      start++;
      if (!raw || Object.keys(raw).length === 0) continue;
      // The old code decoded every job it read (JSON of outputs, progress, metadata) before filtering.
      const job: Record<string, unknown> = {
        ...raw,
        outputs: JSON.parse(raw.outputs ?? '[]') as unknown,
        progress: JSON.parse(raw.progress ?? '{}') as unknown,
        metadata: JSON.parse(raw.metadata ?? '{}') as unknown,
      };
      if (opts.status && job.status !== opts.status) continue;
      ids.push(page[i]!);
      if (ids.length === opts.limit) {
        const more = (await redis.zcard(key)) > start;
        return { ids, next: more ? start : null };
      }
    }
  }
}

const SCAN_LIMIT = 10_000;
const HOUR_MS = 3_600_000;

/** The old `GET /v1/stats`: counts and mean speed over the newest 10,000 jobs, ZCOUNT per hour. */
export async function legacyStats(
  redis: Redis,
  prefix: string,
  customerId: string,
  now: number,
): Promise<{ counts: Record<string, number>; scannedJobs: number; truncated: boolean }> {
  const key = `${prefix}:customer:${customerId}:jobs`;
  const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
  const [total, ids] = await Promise.all([redis.zcard(key), redis.zrevrange(key, 0, SCAN_LIMIT - 1)]);
  const hours = redis.pipeline();
  for (let i = 0; i < 24; i++) hours.zcount(key, firstHour + i * HOUR_MS, `(${firstHour + (i + 1) * HOUR_MS}`);
  const counts: Record<string, number> = {};
  let speedSum = 0;
  for (let i = 0; i < ids.length; i += 1_000) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(i, i + 1_000))
      pipeline.hmget(`${prefix}:job:${id}`, 'status', 'startedAt', 'finishedAt', 'outputs', 'progress');
    for (const [, row] of (await pipeline.exec()) ?? []) {
      const [status, startedAt, finishedAt, outputs] = (row ?? []) as (string | null)[];
      if (!status) continue;
      counts[status] = (counts[status] ?? 0) + 1;
      if (status === 'completed' && outputs && startedAt && finishedAt) {
        const duration = Math.max(
          0,
          ...(JSON.parse(outputs) as { durationSeconds: number | null }[]).map((o) => o.durationSeconds ?? 0),
        );
        speedSum += duration / ((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
      }
    }
  }
  await hours.exec();
  return { counts, scannedJobs: ids.length, truncated: total > SCAN_LIMIT && speedSum >= 0 };
}

import type { RedisClient } from '@kiln/jobs';

/** A job a worker process is running now, as the fleet view shows it. */
export interface FleetJob {
  id: string;
  customerId: string;
  status: string;
  /** 0–100. */
  percent: number;
  /** Encode speed (media seconds per wall second), null before ffmpeg reports one. */
  speed: number | null;
}

/** What a worker process says about itself in every heartbeat. */
export interface FleetWorkerInfo {
  /** Unique per process (host, pid and a random part). */
  id: string;
  host: string;
  pid: number;
  /** The capability pools it runs jobs of (`KILN_WORKER_POOLS`). */
  pools: string[];
  /** Encodes it runs at once (`KILN_WORKER_CONCURRENCY`). */
  concurrency: number;
  /** Jobs it takes beyond its encode slots to fetch and probe ahead (`KILN_WORKER_PREFETCH`). */
  prefetch: number;
  startedAt: string;
  jobs: FleetJob[];
}

/** A worker as the registry last heard of it. */
export interface FleetWorker extends FleetWorkerInfo {
  lastSeenAt: string;
}

/** A worker as the fleet view lists it: its record and how long ago it last beat. */
export interface OnlineWorker extends FleetWorker {
  lastSeenSecondsAgo: number;
}

/** How long a worker stays listed without a heartbeat: it beats every 5 s, so a dead one drops off within 15 s. */
export const FLEET_STALE_AFTER_MS = 15_000;

/** How far back finished jobs are kept for {@link FleetRepository.jobsPerMinute}. */
const FINISHED_KEPT_MS = 3_600_000;

/**
 * Encode slots online per pool: the concurrency of every worker that runs the pool, summed. The
 * one place this is counted: the scheduler, the fleet view and the gauges all use it.
 */
export function slotsByPool(workers: readonly FleetWorkerInfo[]): Record<string, number> {
  const slots: Record<string, number> = {};
  for (const w of workers) for (const pool of w.pools) slots[pool] = (slots[pool] ?? 0) + w.concurrency;
  return slots;
}

/**
 * The registry of worker processes online: each worker writes its record with a heartbeat, and a
 * worker that stops beating (killed, frozen, cut off from Redis) drops off after
 * {@link FLEET_STALE_AFTER_MS}. The scheduler reads the encode slots online per pool from it; the
 * fleet view lists it. Three keys: a hash of records by worker id, a sorted set of last-seen times
 * and a sorted set of recently finished jobs. Times are the Redis server's clock (`TIME`), so
 * workers on machines whose clocks disagree are judged alike; tests inject a `clock`.
 */
export class FleetRepository {
  private readonly recordsKey: string;
  private readonly seenKey: string;
  private readonly finishedKey: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly opts: { staleAfterMs?: number; clock?: () => number } = {},
  ) {
    this.recordsKey = `${prefix}:fleet:workers`;
    this.seenKey = `${prefix}:fleet:seen`;
    this.finishedKey = `${prefix}:fleet:finished`;
  }

  private async now(): Promise<number> {
    if (this.opts.clock) return this.opts.clock();
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Records a worker as alive now, with what it runs. */
  async heartbeat(info: FleetWorkerInfo): Promise<void> {
    const now = await this.now();
    const record: FleetWorker = { ...info, lastSeenAt: new Date(now).toISOString() };
    await this.redis
      .multi()
      .hset(this.recordsKey, info.id, JSON.stringify(record))
      .zadd(this.seenKey, now, info.id)
      .exec();
  }

  /** Takes a worker off the list at once (a clean shutdown). */
  async remove(id: string): Promise<void> {
    await this.redis.multi().hdel(this.recordsKey, id).zrem(this.seenKey, id).exec();
  }

  /** Every worker heard from within the stale window; the ones past it are removed on the way. */
  async online(): Promise<OnlineWorker[]> {
    const now = await this.now();
    const cutoff = now - (this.opts.staleAfterMs ?? FLEET_STALE_AFTER_MS);
    const dead = await this.redis.zrangebyscore(this.seenKey, '-inf', `(${cutoff}`);
    if (dead.length > 0)
      await this.redis
        .multi()
        .zrem(this.seenKey, ...dead)
        .hdel(this.recordsKey, ...dead)
        .exec();
    const ids = await this.redis.zrangebyscore(this.seenKey, cutoff, '+inf');
    if (ids.length === 0) return [];
    const raw = await this.redis.hmget(this.recordsKey, ...ids);
    return raw.flatMap((r) => {
      if (r === null) return [];
      const w = JSON.parse(r) as FleetWorker;
      return [{ ...w, lastSeenSecondsAgo: Math.max(0, Math.round((now - Date.parse(w.lastSeenAt)) / 1000)) }];
    });
  }

  /** Encode slots online for a pool: the concurrency of every live worker that runs it. */
  async slotsOnline(pool: string): Promise<number> {
    return slotsByPool(await this.online())[pool] ?? 0;
  }

  /**
   * Counts a job as finished (completed or failed) at `atMs` (default: now), for
   * {@link jobsPerMinute}. Idempotent per job: recording it again moves its time. Entries older
   * than an hour are trimmed on the way.
   */
  async recordFinished(jobId: string, atMs?: number): Promise<void> {
    const now = atMs ?? (await this.now());
    await this.redis
      .multi()
      .zadd(this.finishedKey, now, jobId)
      .zremrangebyscore(this.finishedKey, '-inf', `(${now - FINISHED_KEPT_MS}`)
      .exec();
  }

  /** Jobs finished (completed or failed) in the last 60 s, by every worker. */
  async jobsPerMinute(): Promise<number> {
    const now = await this.now();
    return this.redis.zcount(this.finishedKey, now - 60_000, '+inf');
  }
}

import type { Redis } from 'ioredis';

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

/** How long a worker stays listed without a heartbeat: it beats every 5 s, so a dead one drops off within 15 s. */
export const FLEET_STALE_AFTER_MS = 15_000;

/**
 * The registry of worker processes online: each worker writes its record with a heartbeat, and a
 * worker that stops beating (killed, frozen, cut off from Redis) drops off after
 * {@link FLEET_STALE_AFTER_MS}. The scheduler reads the encode slots online per pool from it; the
 * fleet view lists it. Two keys: a hash of records by worker id and a sorted set of last-seen times.
 */
export class FleetRepository {
  private readonly recordsKey: string;
  private readonly seenKey: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly opts: { staleAfterMs?: number; clock?: () => number } = {},
  ) {
    this.recordsKey = `${prefix}:fleet:workers`;
    this.seenKey = `${prefix}:fleet:seen`;
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  /** Records a worker as alive now, with what it runs. */
  async heartbeat(info: FleetWorkerInfo): Promise<void> {
    const now = this.now();
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
  async online(): Promise<FleetWorker[]> {
    const cutoff = this.now() - (this.opts.staleAfterMs ?? FLEET_STALE_AFTER_MS);
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
    return raw.flatMap((r) => (r === null ? [] : [JSON.parse(r) as FleetWorker]));
  }

  /** Encode slots online for a pool: the concurrency of every live worker that runs it. */
  async slotsOnline(pool: string): Promise<number> {
    const workers = await this.online();
    return workers.filter((w) => w.pools.includes(pool)).reduce((n, w) => n + w.concurrency, 0);
  }
}

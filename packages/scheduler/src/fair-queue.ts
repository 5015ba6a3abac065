import type { RedisClient } from '@kiln/jobs';
import {
  ENQUEUE_SCRIPT,
  FORGET_SCRIPT,
  LINE_SCRIPT,
  REPRIORITIZE_SCRIPT,
  STARTED_SCRIPT,
  TAKE_SCRIPT,
} from './fair-queue.scripts.js';
import { QUEUE_PRIORITIES, type QueueDepthSource, type QueuePriority } from './queue-depth.js';

/** A job handed out by {@link FairQueue.take}. */
export interface HandedJob {
  jobId: string;
  customerId: string;
}

/** One customer's place in a pool's line, as {@link FairQueue.line} reads it. */
export interface Line {
  /** Jobs handed to the workers' queue that no worker has started yet: they all go first. */
  handed: number;
  /** The customer's jobs running or handed out, and its cap (0: none). */
  running: number;
  cap: number;
  /** The customer's virtual time: its next job's round. */
  vt: number;
  /** The customer's waiting jobs in this pool, in the order they will run. */
  mine: string[];
  /** Every customer in line (ready now) with its virtual time and waiting jobs. */
  others: { customerId: string; vt: number; waiting: number }[];
}

/** How many recent job times {@link FairQueue.meanRunSeconds} averages. */
const RECENT_RUNS = 50;

type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

/**
 * The fair-share line in front of the workers (see `fair-queue.scripts.ts` for the algorithm and
 * the Redis layout). Jobs wait here, per pool and per customer, and are handed to BullMQ only
 * when a worker has room ({@link Dispatcher}), so BullMQ's own first-in-first-out never decides
 * who goes next. Every change is one Lua script: O(log n) in the jobs waiting, never a scan.
 */
export class FairQueue implements QueueDepthSource {
  /** `<prefix>:sched`: every key of the scheduler starts with it. */
  readonly keyPrefix: string;
  private readonly scripts: Record<'enqueue' | 'take' | 'forget' | 'started' | 'reprioritize' | 'line', ScriptRunner>;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.keyPrefix = `${prefix}:sched`;
    // Every script names one key of the scheduler's (it touches only keys under the prefix): on a
    // Redis Cluster that sends it to the node of the prefix's hash slot.
    const define = (name: string, lua: string): ScriptRunner => {
      redis.defineCommand(name, { numberOfKeys: 1, lua });
      const r = redis as unknown as Record<string, ScriptRunner>;
      return (...args) => r[name]!(`${this.keyPrefix}:version`, this.keyPrefix, ...args);
    };
    this.scripts = {
      enqueue: define('kilnSchedEnqueue', ENQUEUE_SCRIPT),
      take: define('kilnSchedTake', TAKE_SCRIPT),
      forget: define('kilnSchedForget', FORGET_SCRIPT),
      started: define('kilnSchedStarted', STARTED_SCRIPT),
      reprioritize: define('kilnSchedReprioritize', REPRIORITIZE_SCRIPT),
      line: define('kilnSchedLine', LINE_SCRIPT),
    };
  }

  /**
   * Puts a job in line: in `pool`, behind the customer's earlier jobs of the same or a higher
   * priority. `runningCap` (0: none) is the customer's limit on jobs running at once. A job
   * already waiting stays where it is.
   */
  async enqueue(job: {
    jobId: string;
    customerId: string;
    pool: string;
    priority: QueuePriority;
    runningCap: number;
  }): Promise<void> {
    await this.scripts.enqueue(
      job.jobId,
      job.customerId,
      job.pool,
      job.priority,
      QUEUE_PRIORITIES.indexOf(job.priority),
      job.runningCap,
      this.clock(),
    );
  }

  /** Hands out up to `count` jobs of `pool` in fair-share order; they count as running from now. */
  async take(pool: string, count: number): Promise<HandedJob[]> {
    if (count <= 0) return [];
    const flat = (await this.scripts.take(pool, count)) as string[];
    const out: HandedJob[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ jobId: flat[i]!, customerId: flat[i + 1]! });
    return out;
  }

  /** A worker started a handed-out job (it leaves the "handed, not started" part of the line). */
  async started(jobId: string): Promise<void> {
    await this.scripts.started(jobId);
  }

  /**
   * Forgets a job whatever its state: a waiting one leaves the line, a running one frees its
   * customer's running place. For finished, cancelled and deleted jobs; true when it was known.
   */
  async forget(jobId: string): Promise<boolean> {
    return Number(await this.scripts.forget(jobId)) === 1;
  }

  /** Changes a waiting job's priority; false when it is no longer waiting. */
  async reprioritize(jobId: string, priority: QueuePriority): Promise<boolean> {
    return Number(await this.scripts.reprioritize(jobId, priority, QUEUE_PRIORITIES.indexOf(priority))) === 1;
  }

  /** Where a job is: waiting in line, handed out (not yet started), or unknown here. */
  async state(jobId: string): Promise<{ state: 'waiting' | 'handed'; pool: string; customerId: string } | null> {
    const [state, pool, customerId] = await this.redis.hmget(
      `${this.keyPrefix}:job:${jobId}`,
      'state',
      'pool',
      'customerId',
    );
    if ((state !== 'waiting' && state !== 'handed') || !pool || !customerId) return null;
    return { state, pool, customerId };
  }

  /** The jobs handed out in `pool` that no worker has started, in the order they were handed out. */
  async handed(pool: string): Promise<string[]> {
    return this.redis.zrange(`${this.keyPrefix}:pool:${pool}:handed`, '0', '-1');
  }

  /** A customer's place in a pool's line, with its first `limit` waiting jobs. */
  async line(pool: string, customerId: string, limit: number): Promise<Line> {
    const [handed, running, cap, vt, mine, others] = (await this.scripts.line(pool, customerId, limit)) as [
      number,
      number,
      string,
      string,
      string[],
      (string | number)[],
    ];
    const list: Line['others'] = [];
    for (let i = 0; i + 2 < others.length; i += 3)
      list.push({ customerId: String(others[i]), vt: Number(others[i + 1]), waiting: Number(others[i + 2]) });
    return { handed: Number(handed), running: Number(running), cap: Number(cap), vt: Number(vt), mine, others: list };
  }

  /** A change counter: it moves whenever a job joins, leaves, starts or changes place. */
  async version(): Promise<string> {
    return (await this.redis.get(`${this.keyPrefix}:version`)) ?? '0';
  }

  /** Every pool a job was ever queued in. */
  async pools(): Promise<string[]> {
    return this.redis.smembers(`${this.keyPrefix}:pools`);
  }

  /** Waiting jobs per priority, with the age of the oldest. */
  async byPriority(): Promise<{ priority: QueuePriority; waiting: number; oldestWaitSeconds: number | null }[]> {
    const pipe = this.redis.multi();
    for (const p of QUEUE_PRIORITIES) {
      pipe.zcard(`${this.keyPrefix}:waiting:${p}`);
      pipe.zrange(`${this.keyPrefix}:waiting:${p}`, '0', '0', 'WITHSCORES');
    }
    const res = (await pipe.exec()) ?? [];
    const now = this.clock();
    return QUEUE_PRIORITIES.map((priority, i) => {
      const oldest = (res[2 * i + 1]?.[1] as string[] | undefined)?.[1];
      return {
        priority,
        waiting: Number(res[2 * i]?.[1] ?? 0),
        oldestWaitSeconds: oldest === undefined ? null : Math.max(0, (now - Number(oldest)) / 1000),
      };
    });
  }

  /** Waiting and running jobs per customer (customers with either). */
  async byCustomer(): Promise<{ customerId: string; waiting: number; running: number }[]> {
    const waiting = await this.redis.hgetall(`${this.keyPrefix}:customers`);
    const customers = Object.keys(waiting).sort();
    const pipe = this.redis.multi();
    for (const c of customers) pipe.scard(`${this.keyPrefix}:running:${c}`);
    const running = customers.length > 0 ? ((await pipe.exec()) ?? []) : [];
    return customers.map((customerId, i) => ({
      customerId,
      waiting: Number(waiting[customerId]),
      running: Number(running[i]?.[1] ?? 0),
    }));
  }

  /** Records how long a job of `pool` took from start to end, for queue estimates (the last 50 count). */
  async recordRun(pool: string, seconds: number): Promise<void> {
    const key = `${this.keyPrefix}:pool:${pool}:runs`;
    await this.redis
      .multi()
      .lpush(key, seconds.toFixed(3))
      .ltrim(key, 0, RECENT_RUNS - 1)
      .exec();
  }

  /** The mean time of a job of `pool` over the recent runs; null before any was recorded. */
  async meanRunSeconds(pool: string): Promise<number | null> {
    const runs = (await this.redis.lrange(`${this.keyPrefix}:pool:${pool}:runs`, 0, -1)).map(Number);
    return runs.length === 0 ? null : runs.reduce((a, b) => a + b, 0) / runs.length;
  }

  /** The rank of a waiting job among its customer's waiting jobs of its pool (0: its next). */
  async rankOf(jobId: string, pool: string, customerId: string): Promise<number | null> {
    return this.redis.zrank(`${this.keyPrefix}:pool:${pool}:c:${customerId}`, jobId);
  }

  /** Customers of `pool` held back by their running cap (they have waiting jobs there). */
  async capped(pool: string): Promise<string[]> {
    return this.redis.smembers(`${this.keyPrefix}:pool:${pool}:capped`);
  }

  /** A customer's jobs running or handed out now (what its running cap counts). */
  async runningOf(customerId: string): Promise<string[]> {
    return this.redis.smembers(`${this.keyPrefix}:running:${customerId}`);
  }
}

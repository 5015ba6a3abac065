import { randomUUID } from 'node:crypto';
import {
  DEFAULT_JOB_OPTIONS,
  TERMINAL_STATUSES,
  type EncodeJobData,
  type EncodeQueues,
  type JobRepository,
  type RedisClient,
} from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { Queue } from 'bullmq';
import { FairQueue } from './fair-queue.js';
import { FleetRepository, type FleetWorker } from './fleet.repository.js';

/** What a {@link Dispatcher} works with. */
export interface DispatcherDeps {
  /** For the lock that lets one dispatcher at a time hand jobs out. */
  redis: RedisClient;
  line: FairQueue;
  fleet: FleetRepository;
  /** The BullMQ queue of a pool. */
  bullQueue: (pool: string) => Queue<EncodeJobData>;
  /** Whether a job finished or is gone: heals a running place whose release was lost. */
  isFinished: (jobId: string) => Promise<boolean>;
  logger: Logger;
}

// Releases the lock only when this dispatcher still holds it.
const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Longest a pass may hold the lock (a dispatcher that died holding it is replaced after this). */
const LOCK_MS = 15_000;
/** Every this many passes, a pass also heals what a crash can leave behind. */
const HEAL_EVERY = 10;

/**
 * Moves jobs from the fair queue into BullMQ, never more than the workers online have room for
 * (their encode slots plus prefetch, less the jobs BullMQ already holds for them), so the fair
 * queue, not BullMQ's first-in-first-out, decides who runs next and a late customer waits behind
 * at most the jobs already handed out. Any process may run it (API and every worker do): a Redis
 * lock lets one pass run at a time, and a kick during a pass makes that pass go round again, so
 * no trigger is lost. A timer pass every second catches anything else (a worker coming online).
 */
export class Dispatcher {
  private readonly lockKey: string;
  private readonly dirtyKey: string;
  private passes = 0;
  private running: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DispatcherDeps) {
    this.lockKey = `${deps.line.keyPrefix}:dispatch:lock`;
    this.dirtyKey = `${deps.line.keyPrefix}:dispatch:dirty`;
    deps.redis.defineCommand('kilnSchedUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
  }

  /** Runs passes every `intervalMs` until {@link stop}. */
  start(intervalMs = 1_000): void {
    this.timer ??= setInterval(() => this.kick(), intervalMs).unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /** Asks for a pass soon (a job was queued, a job ended); never throws. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err: unknown) => {
        this.deps.logger.warn({ err }, 'dispatch pass failed; the next one retries');
        return 0;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /**
   * One pass: takes the lock (or, when another process holds it, marks the line dirty so that
   * one goes round again) and hands out jobs pool by pool. Returns how many it handed out.
   */
  async pass(): Promise<number> {
    const token = randomUUID();
    const locked = await this.deps.redis.set(this.lockKey, token, 'PX', LOCK_MS, 'NX');
    if (locked !== 'OK') {
      await this.deps.redis.set(this.dirtyKey, '1', 'PX', LOCK_MS);
      return 0;
    }
    let handed = 0;
    try {
      do {
        handed += await this.handOut();
      } while ((await this.deps.redis.del(this.dirtyKey)) === 1);
      if (++this.passes % HEAL_EVERY === 1) await this.heal();
    } finally {
      await (this.deps.redis as unknown as { kilnSchedUnlock: (k: string, t: string) => Promise<number> })
        .kilnSchedUnlock(this.lockKey, token)
        .catch(() => 0);
    }
    return handed;
  }

  /** Fills every pool's room in BullMQ from the fair queue. */
  private async handOut(): Promise<number> {
    const workers = await this.deps.fleet.online();
    let handed = 0;
    for (const pool of poolsOf(workers)) {
      const room = await this.roomIn(pool, workers);
      if (room <= 0) continue;
      const jobs = await this.deps.line.take(pool, room);
      if (jobs.length === 0) continue;
      await this.deps.bullQueue(pool).addBulk(
        jobs.map((j) => ({
          name: 'encode',
          data: { jobId: j.jobId, customerId: j.customerId },
          opts: { ...DEFAULT_JOB_OPTIONS, jobId: j.jobId },
        })),
      );
      handed += jobs.length;
    }
    return handed;
  }

  /**
   * How many more jobs a pool's workers can take now: every live worker of the pool takes its
   * concurrency plus its prefetch; BullMQ's active and waiting jobs already fill part of that.
   */
  private async roomIn(pool: string, workers: FleetWorker[]): Promise<number> {
    const capacity = workers.filter((w) => w.pools.includes(pool)).reduce((n, w) => n + w.concurrency + w.prefetch, 0);
    const counts = await this.deps.bullQueue(pool).getJobCounts('active', 'waiting', 'prioritized');
    return capacity - (counts.active ?? 0) - (counts.waiting ?? 0) - (counts.prioritized ?? 0);
  }

  /**
   * Repairs what a crash leaves: a job handed out whose BullMQ add never landed is added again
   * (BullMQ ignores an id it has), and a capped customer's running place held by a job that
   * finished without releasing it (its worker died just then) is released.
   */
  private async heal(): Promise<void> {
    for (const pool of await this.deps.line.pools()) {
      const bull = this.deps.bullQueue(pool);
      for (const jobId of await this.deps.line.handed(pool)) {
        if (await bull.getJob(jobId)) continue;
        const state = await this.deps.line.state(jobId);
        if (!state) continue;
        if (await this.deps.isFinished(jobId)) {
          await this.deps.line.forget(jobId);
          continue;
        }
        this.deps.logger.warn({ jobId, pool }, 'a handed-out job never reached BullMQ; adding it again');
        await bull.add('encode', { jobId, customerId: state.customerId }, { ...DEFAULT_JOB_OPTIONS, jobId });
      }
      for (const customerId of await this.deps.line.capped(pool))
        for (const jobId of await this.deps.line.runningOf(customerId))
          if (await this.deps.isFinished(jobId)) {
            this.deps.logger.warn({ jobId, customerId }, 'released the running place of a job that had finished');
            await this.deps.line.forget(jobId);
          }
    }
  }
}

/** The pools some live worker runs. */
function poolsOf(workers: FleetWorker[]): string[] {
  return [...new Set(workers.flatMap((w) => w.pools))];
}

/**
 * The scheduling parts every process wires the same way on one connection: the fair queue, the
 * fleet registry and a dispatcher handing jobs to `queues` (a job counts as finished when its
 * record is gone or in a final status).
 */
export function createScheduling(deps: {
  redis: RedisClient;
  prefix: string;
  queues: EncodeQueues;
  repo: JobRepository;
  logger: Logger;
}): { line: FairQueue; fleet: FleetRepository; dispatcher: Dispatcher } {
  const line = new FairQueue(deps.redis, deps.prefix);
  const fleet = new FleetRepository(deps.redis, deps.prefix);
  const dispatcher = new Dispatcher({
    redis: deps.redis,
    line,
    fleet,
    bullQueue: (pool) => deps.queues.for(pool),
    isFinished: async (id) => {
      const job = await deps.repo.get(id);
      return !job || TERMINAL_STATUSES.includes(job.status);
    },
    logger: deps.logger.child({ component: 'dispatcher' }),
  });
  return { line, fleet, dispatcher };
}

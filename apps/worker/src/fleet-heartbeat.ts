import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@kiln/logger';
import type { FleetRepository, FleetWorkerInfo } from '@kiln/scheduler';
import type { RunningJobs } from './running-jobs.js';

/** How often a worker writes its fleet record; the registry drops it 15 s after the last one. */
const FLEET_HEARTBEAT_MS = 5_000;

/** The longest a clean stop waits for Redis to take the record off (a Redis that is down must not hold the stop). */
const REMOVE_TIMEOUT_MS = 2_000;

/** What a worker says about itself, apart from the jobs it runs. */
export type FleetIdentity = Omit<FleetWorkerInfo, 'jobs'>;

/** This process's identity in the fleet: `<host>:<pid>:<random>`, so a reused pid is never taken for the old process. */
export function fleetIdentity(opts: { pools: string[]; concurrency: number; prefetch: number }): FleetIdentity {
  const host = hostname();
  return {
    id: `${host}:${process.pid}:${randomBytes(4).toString('hex')}`,
    host,
    pid: process.pid,
    pools: opts.pools,
    concurrency: opts.concurrency,
    prefetch: opts.prefetch,
    startedAt: new Date().toISOString(),
  };
}

/**
 * Keeps this worker listed in the fleet registry: a heartbeat at start and every
 * {@link FLEET_HEARTBEAT_MS} with the jobs it runs now, each finished job counted for jobs per
 * minute, and the record taken off on a clean stop. Redis trouble is logged, never thrown: the
 * fleet view is for operators and must not stop a worker from encoding.
 */
export class FleetHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      fleet: Pick<FleetRepository, 'heartbeat' | 'remove' | 'recordFinished'>;
      running: RunningJobs;
      identity: FleetIdentity;
      logger: Logger;
      intervalMs?: number;
    },
  ) {
    deps.running.onFinished((jobId) => {
      deps.fleet
        .recordFinished(jobId)
        .catch((err: unknown) => deps.logger.warn({ err, jobId }, 'could not count a finished job in the fleet'));
    });
  }

  /** Beats once now (without waiting for Redis) and then every interval. */
  start(): void {
    this.beat();
    this.timer ??= setInterval(() => this.beat(), this.deps.intervalMs ?? FLEET_HEARTBEAT_MS).unref();
  }

  /** Stops beating and takes the record off, waiting at most a moment for Redis. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    let timeout: NodeJS.Timeout | undefined;
    // After a beat still on its way: a late beat would list the worker again until it went stale.
    const removed = (this.beating ?? Promise.resolve())
      .then(() => this.deps.fleet.remove(this.deps.identity.id))
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not take this worker off the fleet list'));
    await Promise.race([removed, new Promise((r) => (timeout = setTimeout(r, REMOVE_TIMEOUT_MS)))]);
    clearTimeout(timeout);
  }

  /** One heartbeat; skipped while the previous one is still on its way (Redis slow or away). */
  private beat(): void {
    if (this.beating) return;
    const info: FleetWorkerInfo = { ...this.deps.identity, jobs: this.deps.running.list() };
    this.beating = this.deps.fleet
      .heartbeat(info)
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'fleet heartbeat failed'))
      .finally(() => (this.beating = undefined));
  }
}

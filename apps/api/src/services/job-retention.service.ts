import type { FinishedJobsRepository, JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import { ConflictError, NotFoundError } from '../http.errors.js';
import type { JobDeletionService } from './job-deletion.service.js';
import type { RedisLock } from './redis-lock.js';

const DAY_MS = 86_400_000;
/** Jobs read from the finished index per step. */
const RETENTION_BATCH = 100;
/** Most jobs one sweep deletes; a larger backlog goes on at the next sweep (soon: see `start`). */
const RETENTION_MAX_PER_SWEEP = 5_000;
/** Time between sweeps. */
const RETENTION_INTERVAL_MS = 15 * 60_000;

/** What the retention service needs. */
export interface JobRetentionDeps {
  finished: FinishedJobsRepository;
  repo: JobRepository;
  deletion: JobDeletionService;
  /** Held while sweeping, so one of several API processes sweeps at a time. */
  lock: RedisLock;
  /** KILN_JOB_TTL_DAYS: 0 keeps every job. */
  ttlDays: number;
  logger: Logger;
  clock?: () => number;
}

/**
 * Deletes finished jobs (completed, failed, cancelled) `ttlDays` after their `finishedAt`, with
 * their outputs and queue entries, through {@link JobDeletionService} like `DELETE /v1/jobs/:id`.
 * It reads the finished index oldest first, so a sweep costs O(expired jobs), never a scan of
 * the store. Every API process schedules it; a Redis lease lets one sweep at a time, and the
 * deletes are idempotent, so a sweep cut short is simply finished by the next.
 */
export class JobRetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly deps: JobRetentionDeps) {}

  /** Sweeps now and every {@link RETENTION_INTERVAL_MS} (sooner while a backlog remains); a no-op with ttlDays 0. */
  start(intervalMs = RETENTION_INTERVAL_MS): void {
    if (this.deps.ttlDays === 0) return;
    const tick = async () => {
      const removed = await this.sweepOnce().catch((err: unknown) => {
        this.deps.logger.warn({ err }, 'job retention sweep failed');
        return 0;
      });
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), removed >= RETENTION_MAX_PER_SWEEP ? 1_000 : intervalMs);
      this.timer.unref();
    };
    void tick();
  }

  /** Stops scheduling and waits for a sweep under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep; returns how many jobs it deleted (0 with ttlDays 0 or while another process sweeps). */
  async sweepOnce(): Promise<number> {
    if (this.deps.ttlDays === 0) return 0;
    this.running ??= this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    if (!(await this.deps.lock.acquire())) return 0;
    let removed = 0;
    try {
      const before = (this.deps.clock ?? Date.now)() - this.deps.ttlDays * DAY_MS;
      const failed = new Set<string>();
      while (removed < RETENTION_MAX_PER_SWEEP && !this.stopped) {
        const ids = (await this.deps.finished.finishedBefore(before, RETENTION_BATCH + failed.size)).filter(
          (id) => !failed.has(id),
        );
        if (ids.length === 0) break;
        for (const id of ids) {
          const outcome = await this.expire(id);
          if (outcome === 'deleted') removed++;
          else if (outcome === 'failed') failed.add(id);
        }
        if (!(await this.deps.lock.extend())) break;
      }
      if (removed > 0)
        this.deps.logger.info({ removed, ttlDays: this.deps.ttlDays }, 'expired jobs deleted with their outputs');
      return removed;
    } finally {
      await this.deps.lock.release().catch(() => undefined);
    }
  }

  /** Deletes one expired job; `failed` leaves it for the next sweep. */
  private async expire(id: string): Promise<'deleted' | 'skipped' | 'failed'> {
    const job = await this.deps.repo.get(id);
    try {
      if (!job) throw new NotFoundError('job');
      await this.deps.deletion.delete(job.customerId, id);
      return 'deleted';
    } catch (err) {
      // Deleted or retried meanwhile: nothing to expire; drop the entry if a write did not already.
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        await this.deps.finished.forget(id);
        return 'skipped';
      }
      this.deps.logger.warn({ err, jobId: id }, 'could not delete an expired job; the next sweep tries again');
      return 'failed';
    }
  }
}

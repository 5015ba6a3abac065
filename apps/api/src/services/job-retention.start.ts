import { FinishedJobsRepository, JobIndexBackfill, JobKeys, type JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { RedisClient } from '@kiln/jobs';
import type { JobDeletionService } from './job-deletion.service.js';
import { JobRetentionService } from './job-retention.service.js';
import { RedisLock } from './redis-lock.js';

/** A sweep holds its lease this long between extensions (each batch extends it). */
const LOCK_TTL_MS = 120_000;

/**
 * What the API does for its job indexes at start: the one-time backfill of indexes for jobs
 * stored before they existed (awaited, so lists and stats are complete once the API listens;
 * a single GET on every later start), then the retention sweep, now and periodically.
 */
export async function startJobRetention(opts: {
  redis: RedisClient;
  prefix: string;
  repo: JobRepository;
  deletion: JobDeletionService;
  ttlDays: number;
  logger: Logger;
}): Promise<JobRetentionService> {
  const { redis, prefix, logger } = opts;
  const started = performance.now();
  let reported = started;
  const backfill = new JobIndexBackfill(redis, prefix, ({ customerId, jobs }) => {
    if (performance.now() - reported < 5_000) return;
    reported = performance.now();
    logger.info({ customerId, jobs }, 'indexing existing jobs');
  });
  const result = await backfill.run();
  if (result.ran) logger.info({ ...result, ms: Math.round(performance.now() - started) }, 'job indexes backfilled');
  const retention = new JobRetentionService({
    finished: new FinishedJobsRepository(redis, prefix),
    repo: opts.repo,
    deletion: opts.deletion,
    lock: new RedisLock(redis, `${new JobKeys(prefix).finished()}:sweep-lock`, LOCK_TTL_MS),
    ttlDays: opts.ttlDays,
    logger,
  });
  retention.start();
  return retention;
}

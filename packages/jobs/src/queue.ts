import type { DefaultJobOptions } from 'bullmq';

/** The BullMQ queue every encode job goes through. */
export const ENCODE_QUEUE = 'encode';

/** BullMQ's own key prefix under Kiln's prefix, so one Redis can hold several farms. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

/**
 * The key of BullMQ's lock on an encode job (`<prefix>:<queue>:<jobId>:lock`, holding the token of
 * the run that owns it): the job store fences each run's writes with it.
 */
export function encodeLockKey(redisPrefix: string, jobId: string): string {
  return `${bullPrefix(redisPrefix)}:${ENCODE_QUEUE}:${jobId}:lock`;
}

/**
 * Retries with exponential backoff for transient failures (bad input is an UnrecoverableError and
 * never retried); finished BullMQ entries are trimmed because the job store keeps the history.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** Redis pub/sub channel on which the API tells every worker to stop a job (message: the job id). */
export function cancelChannel(redisPrefix: string): string {
  return `${redisPrefix}:jobs:cancel`;
}

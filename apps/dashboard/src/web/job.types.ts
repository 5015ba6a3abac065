/**
 * The public Job JSON as the API returns it and channel events carry it: the types of
 * `@kiln/jobs`, imported as types only, so the browser bundle pulls in none of that package's
 * server code (BullMQ, ioredis).
 */
import type { Job } from '@kiln/jobs';

export type { Job, JobOutput, JobProgress, JobStatus } from '@kiln/jobs';

/** Names of the `job.*` events on a customer's channel. */
export const JOB_EVENT_NAMES = ['job.created', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** Payload of every `job.*` event. */
export type { JobEventPayload } from '@kiln/jobs';

/**
 * Checks the fields the dashboard relies on before a value from the network enters the store: a
 * malformed event must not be able to break rendering or win the seq comparison by accident.
 */
export function isJob(value: unknown): value is Job {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['id'] === 'string' &&
    v['id'].length > 0 &&
    typeof v['seq'] === 'number' &&
    Number.isFinite(v['seq']) &&
    typeof v['status'] === 'string' &&
    typeof v['createdAt'] === 'string' &&
    typeof v['progress'] === 'object' &&
    v['progress'] !== null &&
    Array.isArray(v['outputs'])
  );
}

/** The job inside a `job.*` event payload, or undefined when the payload is not one. */
export function jobFromEvent(payload: unknown): Job | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const job = (payload as { job?: unknown }).job;
  return isJob(job) ? job : undefined;
}

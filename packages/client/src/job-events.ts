import type { JobStatus } from './job.schema.js';

/** Names of the events on a customer's channel. */
export const JOB_EVENTS = {
  created: 'job.created',
  progress: 'job.progress',
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
} as const;
export type JobEventName = (typeof JOB_EVENTS)[keyof typeof JOB_EVENTS];
/** Every `job.*` event name, for binding them all on a channel. */
export const JOB_EVENT_NAMES: readonly JobEventName[] = Object.values(JOB_EVENTS);
/**
 * Where the customer's queued jobs stand now (their first 50 by place): sent while the channel is
 * watched, when the line changed, at most once per progress interval. See `queueEventPayloadSchema`.
 */
export const QUEUE_EVENT = 'queue.updated';
/** Sent on a channel when its presence gate opens: events before it were dropped, so re-read. */
export const SYNC_EVENT = 'sync';

/** The event a change to `status` is announced with. */
export function eventForStatus(status: JobStatus): JobEventName {
  switch (status) {
    case 'queued':
      return JOB_EVENTS.created;
    case 'completed':
      return JOB_EVENTS.completed;
    case 'failed':
      return JOB_EVENTS.failed;
    case 'cancelled':
      return JOB_EVENTS.cancelled;
    default:
      return JOB_EVENTS.progress;
  }
}

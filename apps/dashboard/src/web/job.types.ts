/**
 * The public Job JSON as the API returns it, and the summary channel events carry, from
 * `@kiln/jobs/client`: the browser bundle pulls in none of that package's server code (BullMQ, ioredis).
 */
export type { Job, JobOutput, JobOutputSummary, JobProgress, JobStatus, JobSummary } from '@kiln/jobs/client';

/** Names of the `job.*` events on a customer's channel. */
export const JOB_EVENT_NAMES = ['job.created', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** Payload of every `job.*` event: id, seq, status and the job's summary. */
export type { JobEventPayload } from '@kiln/jobs/client';

export { compareJobVersions, isJob, jobFromEvent } from '@kiln/jobs/client';

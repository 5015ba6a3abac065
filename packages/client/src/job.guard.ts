import {
  jobSchema,
  jobSummarySchema,
  queueEventPayloadSchema,
  type Job,
  type JobSummary,
  type QueueEventPayload,
} from './job.schema.js';

/**
 * Whether a value from the network is a job summary (an event's, or the API's record, which is
 * one too): a malformed one must not break rendering or win the seq comparison by accident.
 * The value itself is kept as it came (no fields stripped).
 */
export function isJobSummary(value: unknown): value is JobSummary {
  return jobSummarySchema.safeParse(value).success;
}

/** Whether a value is a job's full record, as the API returns it. */
export function isJob(value: unknown): value is Job {
  return jobSchema.safeParse(value).success;
}

/** The job summary inside a `job.*` event payload (`{id, seq, status, job}`), or undefined when it is not one. */
export function jobFromEvent(payload: unknown): JobSummary | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const job = (payload as { job?: unknown }).job;
  return isJobSummary(job) ? job : undefined;
}

/**
 * The payload of a `queue.updated` event, checked against its schema; undefined when it is not one
 * (a client drops it, like a malformed job event).
 */
export function queueFromEvent(payload: unknown): QueueEventPayload | undefined {
  const parsed = queueEventPayloadSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

/** What offering a version of a job to a store did: kept it, or ignored it as not newer. */
export type VersionOutcome = 'inserted' | 'updated' | 'duplicate' | 'stale';

/**
 * Whether a version is the whole record (`GET /v1/jobs`, `/v1/jobs/:id`) rather than the summary
 * a `job.*` event carries: only the record has `input` and `metadata`.
 */
export function isFullJob(job: JobSummary): job is Job {
  const v = job as Partial<Job>;
  return typeof v.input === 'string' && typeof v.metadata === 'object' && v.metadata !== null;
}

/**
 * The one merge rule of every client: a higher `seq` wins, a lower one is stale. At an equal
 * `seq` the full record replaces the event's summary of that same change (it adds the details),
 * while a summary never replaces the record it was made from.
 */
export function compareJobVersions(current: JobSummary | undefined, incoming: JobSummary): VersionOutcome {
  if (current === undefined) return 'inserted';
  if (incoming.seq < current.seq) return 'stale';
  if (incoming.seq > current.seq) return 'updated';
  return isFullJob(incoming) && !isFullJob(current) ? 'updated' : 'duplicate';
}

import type { Job } from './job.schema.js';
import type { JobSummary } from './job-summary.js';

/** What offering a version of a job to a client's store did: kept it, or ignored it as not newer. */
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
 * The one merge rule of every client (dashboard, CLI): a higher `seq` wins, a lower one is stale.
 * At an equal `seq` the full record replaces the event's summary of that same change (it adds
 * the details), while a summary never replaces the record it was made from.
 */
export function compareJobVersions(current: JobSummary | undefined, incoming: JobSummary): VersionOutcome {
  if (current === undefined) return 'inserted';
  if (incoming.seq < current.seq) return 'stale';
  if (incoming.seq > current.seq) return 'updated';
  return isFullJob(incoming) && !isFullJob(current) ? 'updated' : 'duplicate';
}

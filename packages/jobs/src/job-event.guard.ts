import type { Job } from './job.schema.js';
import type { JobSummary } from './job-summary.js';
import { isFullJob } from './job-version.js';

/**
 * Checks the fields clients rely on before a job version from the network is used (an event's
 * summary or the API's record): a malformed one must not break rendering or win the seq
 * comparison by accident. No runtime imports beyond pure siblings, so browser bundles and the
 * CLI can load it through `@kiln/jobs/client` without the server's dependencies.
 */
export function isJobSummary(value: unknown): value is JobSummary {
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

/** {@link isJobSummary}, and the record's own fields: a job as the API returns it. */
export function isJob(value: unknown): value is Job {
  return isJobSummary(value) && isFullJob(value);
}

/** The job summary inside a `job.*` event payload (`{id, seq, status, job}`), or undefined when it is not one. */
export function jobFromEvent(payload: unknown): JobSummary | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const job = (payload as { job?: unknown }).job;
  return isJobSummary(job) ? job : undefined;
}

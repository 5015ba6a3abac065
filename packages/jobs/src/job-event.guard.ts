import type { Job } from './job.schema.js';

/**
 * Checks the fields clients rely on before a job from the network is used: a malformed event must
 * not break rendering or win the seq comparison by accident. No runtime imports, so browser
 * bundles and the CLI can load it through `@kiln/jobs/client` without the server's dependencies.
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

/** The job inside a `job.*` event payload (`{id, seq, status, job}`), or undefined when it is not one. */
export function jobFromEvent(payload: unknown): Job | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const job = (payload as { job?: unknown }).job;
  return isJob(job) ? job : undefined;
}

import { compareJobVersions, type JobSummary, type VersionOutcome } from './api.types.js';

/** What {@link JobVersions.offer} did with a version: kept it, or ignored it as not newer. */
export type OfferOutcome = VersionOutcome;

/**
 * The newest known version of each job, merged from API reads (full records) and channel events
 * (summaries) that may arrive late, twice or out of order, by the clients' one rule
 * (`compareJobVersions`): a higher `seq` wins, so a slow `GET` answered after a newer event can
 * never move a job backwards, and at an equal `seq` the full record replaces its summary.
 */
export class JobVersions {
  readonly #jobs = new Map<string, JobSummary>();

  /** The stored version of a job, if any. */
  get(id: string): JobSummary | undefined {
    return this.#jobs.get(id);
  }

  /** Offers one version; an equal seq is the same change seen twice, a lower one is stale. */
  offer(job: JobSummary): OfferOutcome {
    const outcome = compareJobVersions(this.#jobs.get(job.id), job);
    if (outcome === 'inserted' || outcome === 'updated') this.#jobs.set(job.id, job);
    return outcome;
  }
}

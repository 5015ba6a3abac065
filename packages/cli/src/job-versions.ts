import type { Job } from './api.types.js';

/** What {@link JobVersions.offer} did with a version: kept it, or ignored it as not newer. */
export type OfferOutcome = 'inserted' | 'updated' | 'duplicate' | 'stale';

/**
 * The newest known version of each job, merged from API reads and channel events that may arrive
 * late, twice or out of order. A version replaces the stored one only when its `seq` is strictly
 * higher, so a slow `GET` answered after a newer event can never move a job backwards.
 */
export class JobVersions {
  readonly #jobs = new Map<string, Job>();

  /** The stored version of a job, if any. */
  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** Offers one version; an equal seq is the same change seen twice, a lower one is stale. */
  offer(job: Job): OfferOutcome {
    const current = this.#jobs.get(job.id);
    if (current === undefined) {
      this.#jobs.set(job.id, job);
      return 'inserted';
    }
    if (job.seq < current.seq) return 'stale';
    if (job.seq === current.seq) return 'duplicate';
    this.#jobs.set(job.id, job);
    return 'updated';
  }
}

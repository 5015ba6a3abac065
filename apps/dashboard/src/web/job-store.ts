import { compareJobVersions, type JobSummary } from './job.types.js';

/** What {@link JobStore.apply} did with a version: kept it, or ignored it as not newer. */
export type ApplyOutcome = 'inserted' | 'updated' | 'duplicate' | 'stale';

/** A job as the dashboard holds it: the API's full record or an event's summary (a Job is both). */
type Job = JobSummary;

/**
 * The dashboard's jobs by id, merged from snapshots (`GET /v1/jobs`, full records) and channel
 * events (summaries) in any order. Per job it keeps the version with the highest `seq`, so a late
 * snapshot page or a re-delivered event can never move a job backwards; at an equal `seq` the
 * full record replaces the summary, never the reverse. Pure: no DOM, no network, no clock.
 */
export class JobStore {
  readonly #jobs = new Map<string, Job>();
  #sorted: Job[] | null = null;

  /** Number of jobs held. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Forgets a job (it was deleted); returns whether it was there. */
  remove(id: string): boolean {
    if (!this.#jobs.delete(id)) return false;
    this.#sorted = null;
    return true;
  }

  /** The stored version of a job, if any. */
  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /**
   * Offers one version of a job. It replaces the stored one only when its seq is strictly higher,
   * or equal with the full record replacing a summary; otherwise an equal seq is the same change
   * seen twice (event and snapshot), a lower one is stale.
   */
  apply(job: Job): ApplyOutcome {
    const current = this.#jobs.get(job.id);
    const outcome = compareJobVersions(current, job);
    if (current === undefined) {
      this.#jobs.set(job.id, job);
      this.#sorted = null;
      return 'inserted';
    }
    if (outcome !== 'updated') return outcome;
    this.#jobs.set(job.id, job);
    if (job.createdAt !== current.createdAt) this.#sorted = null;
    else if (this.#sorted !== null) {
      // Same position in the order: swap the object in place instead of re-sorting.
      const i = this.#sorted.indexOf(current);
      if (i >= 0) this.#sorted[i] = job;
      else this.#sorted = null;
    }
    return 'updated';
  }

  /** Offers many versions (a snapshot page); returns the ids whose stored version changed. */
  applyMany(jobs: Iterable<Job>): string[] {
    const changed: string[] = [];
    for (const job of jobs) {
      const outcome = this.apply(job);
      if (outcome === 'inserted' || outcome === 'updated') changed.push(job.id);
    }
    return changed;
  }

  /** All jobs, newest first (by createdAt, then id so the order is total and stable). */
  newestFirst(): readonly Job[] {
    if (this.#sorted === null) this.#sorted = [...this.#jobs.values()].sort(compareNewestFirst);
    return this.#sorted;
  }

  /** Forgets every job (sign-out). */
  clear(): void {
    this.#jobs.clear();
    this.#sorted = null;
  }
}

function timeOf(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Orders jobs newest first; ties (same millisecond) broken by id so every client agrees. */
export function compareNewestFirst(a: Job, b: Job): number {
  const dt = timeOf(b.createdAt) - timeOf(a.createdAt);
  if (dt !== 0) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

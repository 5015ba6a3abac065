import { compareJobVersions, type VersionOutcome } from './job.guard.js';
import type { JobQueue, JobSummary, QueueEventPayload } from './job.schema.js';
import { QueuePlaces } from './queue-places.js';

/**
 * Jobs by id, merged from API reads (full records) and channel events (summaries) that may arrive
 * late, twice or out of order. Per job it keeps the version with the highest `seq`, so a late
 * snapshot page or a re-delivered event can never move a job backwards; at an equal `seq` the
 * full record replaces the summary, never the reverse. It also keeps where each queued job stands
 * in line ({@link QueuePlaces}), from reads and `queue.updated` events. Pure: no DOM, no network, no clock.
 */
export class JobStore {
  readonly #jobs = new Map<string, JobSummary>();
  readonly #places = new QueuePlaces();
  #sorted: JobSummary[] | null = null;

  /** Number of jobs held. */
  get size(): number {
    return this.#jobs.size;
  }

  /** The stored version of a job, if any. */
  get(id: string): JobSummary | undefined {
    return this.#jobs.get(id);
  }

  /** Where a job stands in line: only while it is stored as `queued` and a read or `queue.updated` told its place. */
  placeOf(id: string): JobQueue | undefined {
    return this.#places.get(id, this.#jobs.get(id)?.status);
  }

  /**
   * Offers one version of a job. It replaces the stored one only when its seq is strictly higher,
   * or equal with the full record replacing a summary; otherwise an equal seq is the same change
   * seen twice (event and snapshot), a lower one is stale. A version that is not stale also
   * updates the job's place in line (a re-read of the same seq tells where the job stands now).
   */
  apply(job: JobSummary): VersionOutcome {
    return this.applyJob(job).outcome;
  }

  /** {@link apply}, also telling whether the job's place in line changed (a re-read can move it without a new seq). */
  applyJob(job: JobSummary): { outcome: VersionOutcome; placeChanged: boolean } {
    const current = this.#jobs.get(job.id);
    const outcome = compareJobVersions(current, job);
    if (outcome === 'stale') return { outcome, placeChanged: false };
    const placeChanged = this.#places.fromJob(job);
    if (outcome === 'duplicate') return { outcome, placeChanged };
    this.#jobs.set(job.id, job);
    if (current === undefined || job.createdAt !== current.createdAt) this.#sorted = null;
    else if (this.#sorted !== null) {
      // Same position in the order: swap the object in place instead of re-sorting.
      const i = this.#sorted.indexOf(current);
      if (i >= 0) this.#sorted[i] = job;
      else this.#sorted = null;
    }
    return { outcome, placeChanged };
  }

  /** Offers many versions (a snapshot page); returns the ids whose stored version or place in line changed. */
  applyMany(jobs: Iterable<JobSummary>): string[] {
    const changed: string[] = [];
    for (const job of jobs) {
      const { outcome, placeChanged } = this.applyJob(job);
      if (outcome === 'inserted' || outcome === 'updated' || placeChanged) changed.push(job.id);
    }
    return changed;
  }

  /**
   * Takes the places of a `queue.updated` event (read it with `queueFromEvent`); returns the ids
   * of stored queued jobs whose place changed, the ones to redraw.
   */
  applyQueue(event: QueueEventPayload): string[] {
    return this.#places
      .fromEvent(event, (id) => this.#jobs.get(id)?.status)
      .filter((id) => this.#jobs.get(id)?.status === 'queued');
  }

  /** Forgets a job (it was deleted); returns whether it was there. */
  remove(id: string): boolean {
    this.#places.delete(id);
    if (!this.#jobs.delete(id)) return false;
    this.#sorted = null;
    return true;
  }

  /** All jobs, newest first (by createdAt, then id so the order is total and stable). */
  newestFirst(): readonly JobSummary[] {
    if (this.#sorted === null) this.#sorted = [...this.#jobs.values()].sort(compareNewestFirst);
    return this.#sorted;
  }

  /** Forgets every job (sign-out). */
  clear(): void {
    this.#jobs.clear();
    this.#places.clear();
    this.#sorted = null;
  }
}

function timeOf(iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

/** Orders jobs newest first; ties (same millisecond) broken by id so every client agrees. */
function compareNewestFirst(a: JobSummary, b: JobSummary): number {
  const dt = timeOf(b.createdAt) - timeOf(a.createdAt);
  if (dt !== 0) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

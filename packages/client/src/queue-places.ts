import type { JobQueue, JobStatus, JobSummary, QueueEventPayload } from './job.schema.js';

/**
 * Where each queued job stands in line, as last told: by a read of the job (its `queue` field) or
 * by a `queue.updated` event. A place is kept apart from the job's version because the line moves
 * without the job changing (its `seq` stays while the jobs ahead start). It applies only while the
 * job is `queued`: a version that moved the job on drops it. Pure: no DOM, no network, no clock.
 */
export class QueuePlaces {
  readonly #places = new Map<string, JobQueue>();
  /** `at` of the newest `queue.updated` taken: an older one arriving late is ignored. */
  #eventAt = Number.NEGATIVE_INFINITY;

  /** The place of a job in `status`: undefined unless it is queued and a place was told. */
  get(id: string, status: JobStatus | undefined): JobQueue | undefined {
    return status === 'queued' ? this.#places.get(id) : undefined;
  }

  /**
   * Takes the place a version of a job tells (call it with every version a store kept, and with
   * reads of the same `seq`): a queued job's `queue` replaces the place, a job no longer queued
   * loses it, and a queued version without `queue` (an event's summary) keeps the one it had.
   * Returns whether the place changed.
   */
  fromJob(job: JobSummary): boolean {
    if (job.status !== 'queued') return this.#places.delete(job.id);
    if (job.queue === undefined) return false;
    return this.#set(job.id, job.queue);
  }

  /**
   * Takes the places a `queue.updated` event lists. A job the caller knows as no longer queued is
   * skipped (the event may have been sent before the job started); a job it does not know yet is
   * kept for when it arrives. Jobs the event does not list keep their place. Returns the ids whose
   * place changed; none when the event is older than one already taken.
   */
  fromEvent(event: QueueEventPayload, statusOf: (id: string) => JobStatus | undefined): string[] {
    const at = Date.parse(event.at);
    if (!Number.isNaN(at)) {
      if (at < this.#eventAt) return [];
      this.#eventAt = at;
    }
    const listed = new Set<string>();
    const changed: string[] = [];
    for (const { id, position, etaSeconds, pool, reason } of event.jobs) {
      listed.add(id);
      const status = statusOf(id);
      if (status !== undefined && status !== 'queued') continue;
      if (this.#set(id, { position, etaSeconds, pool, reason })) changed.push(id);
    }
    // Places of jobs never seen and no longer listed would otherwise be kept forever.
    for (const id of this.#places.keys()) if (!listed.has(id) && statusOf(id) === undefined) this.#places.delete(id);
    return changed;
  }

  /** Forgets a job's place (the job was deleted). */
  delete(id: string): void {
    this.#places.delete(id);
  }

  /** Forgets every place (sign-out). */
  clear(): void {
    this.#places.clear();
    this.#eventAt = Number.NEGATIVE_INFINITY;
  }

  #set(id: string, place: JobQueue): boolean {
    const current = this.#places.get(id);
    if (
      current !== undefined &&
      current.position === place.position &&
      current.etaSeconds === place.etaSeconds &&
      current.pool === place.pool &&
      current.reason === place.reason
    )
      return false;
    this.#places.set(id, {
      position: place.position,
      etaSeconds: place.etaSeconds,
      pool: place.pool,
      reason: place.reason,
    });
    return true;
  }
}

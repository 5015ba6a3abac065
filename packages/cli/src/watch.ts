import {
  ApiError,
  isFullJob,
  isTerminal,
  jobFromEvent,
  JobStore,
  queueFromEvent,
  type Job,
  type JobEventName,
  type JobQueue,
  type JobSummary,
  type RealtimeHandlers,
} from '@kiln/client';

/** How the live connection stands: not yet known, subscribed, or unusable for now. */
export type RealtimeState = 'pending' | 'live' | 'down';

export interface JobWatcherOptions {
  /** `GET /v1/jobs/:id`. */
  getJob(id: string): Promise<Job>;
  /**
   * Called with every newer version of the followed job, in seq order, terminal one included: an
   * event's summary, or the API's full record (also for the same seq, once its details are read).
   */
  onChange(job: JobSummary): void;
  /**
   * Called while the followed job is queued whenever its place in line changed: from a read
   * (`queue` of `GET /v1/jobs/:id`) or a `queue.updated` event, the latest of either.
   */
  onPlace?(place: JobQueue, job: JobSummary): void;
  /** Re-read period while live updates are unavailable (refused, disconnected, never came up). */
  fallbackPollMs?: number;
  /**
   * Re-read period while live: a safety net only, since `sync`, subscription and reconnects
   * already trigger reads; it bounds how long a lost event could leave the display stale.
   */
  safetyPollMs?: number;
}

/**
 * Follows one job to its end from two sources: channel events (`job.*`, kept per id by highest
 * `seq`, so events that arrive before the job id is known are not lost) and `GET /v1/jobs/:id`,
 * re-read on `sync` (the gate just opened), on every subscription and on reconnect, and polled
 * while live updates are unavailable. It plugs into {@link connectRealtime} as the handlers.
 */
export class JobWatcher implements RealtimeHandlers {
  readonly #versions = new JobStore();
  readonly #eventCounts = new Map<string, Map<JobEventName, number>>();
  readonly #opts: Required<JobWatcherOptions>;
  #state: RealtimeState = 'pending';
  #unavailableReason = '';
  #stateWaiters: (() => void)[] = [];
  #target: string | undefined;
  #finish: ((job: Job) => void) | undefined;
  #fail: ((err: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | null = null;
  #readAgain = false;
  #stopped = false;

  constructor(opts: JobWatcherOptions) {
    this.#opts = { fallbackPollMs: 2000, safetyPollMs: 30_000, onPlace: () => undefined, ...opts };
  }

  /** The live connection's state, and why it is down when it is. */
  get realtime(): { state: RealtimeState; reason: string } {
    return { state: this.#state, reason: this.#unavailableReason };
  }

  /** The newest version seen of a job (an event's summary or the API's record). */
  latest(id: string): JobSummary | undefined {
    return this.#versions.get(id);
  }

  /** Where a queued job stands in line, as last read or told by `queue.updated`. */
  placeOf(id: string): JobQueue | undefined {
    return this.#versions.placeOf(id);
  }

  /** How many `job.*` events arrived for a job (duplicates included), by event name. */
  eventCounts(id: string): Record<string, number> {
    return Object.fromEntries(this.#eventCounts.get(id) ?? []);
  }

  /** Total `job.*` events received for a job. */
  eventTotal(id: string): number {
    let n = 0;
    for (const c of this.#eventCounts.get(id)?.values() ?? []) n += c;
    return n;
  }

  /**
   * Resolves once the channel is subscribed or known to be unavailable, or after `timeoutMs`
   * (then the state stays `pending` and the job is polled until the subscription arrives).
   */
  async waitForRealtime(timeoutMs: number): Promise<RealtimeState> {
    if (this.#state === 'pending') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#stateWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#state;
  }

  /**
   * Follows `id` until it reaches a terminal status and resolves with that version as the API
   * has it: a terminal event carries only the job's summary (no `files`, input or metadata), so
   * the job is read then, and the read's full record is what `follow` resolves with. `initial` is
   * a version already in hand (the answer of `POST /v1/jobs`). Rejects when the job cannot be
   * read for a reason that will not pass (404, 401); network trouble is retried.
   */
  follow(id: string, initial?: Job): Promise<Job> {
    if (this.#target !== undefined) throw new Error('JobWatcher follows one job');
    this.#target = id;
    const done = new Promise<Job>((resolve, reject) => {
      this.#finish = resolve;
      this.#fail = reject;
    });
    if (initial !== undefined) this.#versions.apply(initial);
    const known = this.#versions.get(id);
    if (known !== undefined) this.#changed(known);
    this.#placeChanged();
    if (!this.#stopped) this.#read();
    return done;
  }

  /** Stops reading and polling; events that still arrive are ignored. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  onJobEvent(name: JobEventName, payload: unknown): void {
    const job = jobFromEvent(payload);
    if (job === undefined || this.#stopped) return;
    const counts = this.#eventCounts.get(job.id) ?? new Map<JobEventName, number>();
    counts.set(name, (counts.get(name) ?? 0) + 1);
    this.#eventCounts.set(job.id, counts);
    const outcome = this.#versions.apply(job);
    if (job.id === this.#target && (outcome === 'inserted' || outcome === 'updated')) this.#changed(job);
  }

  /** `queue.updated`: the followed job's new place, if it is listed and still queued. */
  onQueueEvent(payload: unknown): void {
    const event = queueFromEvent(payload);
    if (event === undefined || this.#stopped) return;
    const changed = this.#versions.applyQueue(event);
    if (this.#target !== undefined && changed.includes(this.#target)) this.#placeChanged();
  }

  onSync(): void {
    this.#read();
  }

  onSubscribed(): void {
    this.#setState('live');
    this.#read();
  }

  onReconnected(): void {
    // Pusher re-subscribes after a reconnect and reports it; until then changes are not delivered.
    this.#read();
  }

  onUnavailable(reason: string): void {
    this.#unavailableReason = reason;
    this.#setState('down');
    this.#schedule();
  }

  #setState(state: RealtimeState): void {
    this.#state = state;
    const waiters = this.#stateWaiters;
    this.#stateWaiters = [];
    for (const w of waiters) w();
  }

  #changed(job: JobSummary): void {
    if (this.#stopped) return;
    this.#opts.onChange(job);
    if (!isTerminal(job.status)) return;
    if (isFullJob(job)) {
      this.stop();
      this.#finish?.(job);
      return;
    }
    // The event's summary: the full record of this same seq (or a newer one) comes from the API.
    this.#read();
  }

  #placeChanged(): void {
    const id = this.#target;
    if (id === undefined || this.#stopped) return;
    const place = this.#versions.placeOf(id);
    const job = this.#versions.get(id);
    if (place !== undefined && job !== undefined) this.#opts.onPlace(place, job);
  }

  /** The followed job ended by an event, and its full record is still to be read. */
  #awaitingDetails(): boolean {
    const job = this.#target === undefined ? undefined : this.#versions.get(this.#target);
    return job !== undefined && isTerminal(job.status) && !isFullJob(job);
  }

  /**
   * Reads the job now. A request during a read schedules exactly one more read after it: the
   * read in flight may have started before the `sync` that asked for it.
   */
  #read(): void {
    const id = this.#target;
    if (id === undefined || this.#stopped) return;
    if (this.#reading !== null) {
      this.#readAgain = true;
      return;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        try {
          const job = await this.#opts.getJob(id);
          const { outcome, placeChanged } = this.#versions.applyJob(job);
          if (outcome === 'inserted' || outcome === 'updated') this.#changed(job);
          if (placeChanged) this.#placeChanged();
        } catch (err) {
          if (!isTransient(err)) {
            this.stop();
            this.#fail?.(err);
            return;
          }
        }
      } while (this.#readAgain && !this.#stopped);
    })().finally(() => {
      this.#reading = null;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#stopped || this.#target === undefined) return;
    clearTimeout(this.#timer);
    const period =
      this.#state === 'live' && !this.#awaitingDetails() ? this.#opts.safetyPollMs : this.#opts.fallbackPollMs;
    this.#timer = setTimeout(() => this.#read(), period);
  }
}

/** Network trouble and 5xx pass; a 4xx will not change by asking again. */
function isTransient(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 0 || err.status >= 500 || err.status === 429);
}

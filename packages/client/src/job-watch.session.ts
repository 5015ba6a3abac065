import { ApiClient } from './api.client.js';
import { ApiError } from './api-error.js';
import type { Me } from './api.schema.js';
import { jobFromEvent } from './job.guard.js';
import type { JobSummary } from './job.schema.js';
import { JobStore } from './job-store.js';
import { hasPlayableType, playableOutput } from './progress-view.js';
import { connectRealtime, type RealtimeConnection } from './realtime.adapter.js';
import type { FetchFn } from './upload.transport.js';

/** What went wrong while watching a job, in the words a page shows. */
export interface WatchProblem {
  /**
   * `token-expired`: the API refused the token (expired or not one of its own): a fresh one is needed.
   * `forbidden`: the token is not for this job. `not-found`: no such job. `unreachable`: the API could not
   * be read. `live-unavailable`: live updates are down for now (the element retries on its own).
   */
  kind: 'token-expired' | 'forbidden' | 'not-found' | 'unreachable' | 'live-unavailable';
  message: string;
}

/** What a {@link JobWatchSession} tells its view; each is called only while the session is open. */
export interface JobWatchHandlers {
  /** A newer version of the job was stored (from a read or an event). */
  onJob(job: JobSummary): void;
  /** A problem appeared (or cleared: undefined). A `token-expired` one ends the session. */
  onProblem(problem: WatchProblem | undefined): void;
}

/** Where the API is, which job, and the viewer token that reads it. */
export interface JobWatchOptions {
  api: string;
  jobId: string;
  token: string;
  fetch?: FetchFn;
}

/**
 * Watches one job with a viewer token and nothing else: reads `GET /v1/me` for the Pusher settings
 * and the token's channel, subscribes to it (authorized by `POST /v1/realtime/auth` with the token),
 * and merges the job's events and reads by `seq` in a {@link JobStore}. The job is re-read on every
 * (re)subscription and `sync` (events before the channel's gate opened were dropped), and once more
 * when it completes, for its outputs' signed URLs (events never carry them). No DOM: a view renders it.
 */
export class JobWatchSession {
  readonly #store = new JobStore();
  readonly #api: ApiClient;
  readonly #jobId: string;
  readonly #handlers: JobWatchHandlers;
  readonly #abort = new AbortController();
  #realtime: RealtimeConnection | undefined;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  #closed = false;
  #problemKind: WatchProblem['kind'] | undefined;

  constructor(opts: JobWatchOptions, handlers: JobWatchHandlers) {
    this.#api = new ApiClient({ baseUrl: opts.api, apiKey: opts.token, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
    this.#jobId = opts.jobId;
    this.#handlers = handlers;
  }

  /** The API's base URL, to resolve relative URLs against. */
  get apiUrl(): string {
    return this.#api.baseUrl;
  }

  /** The newest version of the job seen so far. */
  get job(): JobSummary | undefined {
    return this.#store.get(this.#jobId);
  }

  /** Reads the job and connects to the token's channel. */
  async start(): Promise<void> {
    void this.reread();
    let me: Me;
    try {
      me = await this.#api.me();
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (this.#closed) return;
    const authorize = (socketId: string, channel: string) =>
      this.#api.authorizeChannel(socketId, channel).catch((err: unknown) => {
        // pusher-js reports a custom authorizer's failure without its status: tell an expired token here.
        if (err instanceof ApiError && err.status === 401) this.#failed(err);
        throw err;
      });
    this.#realtime = connectRealtime(me, authorize, {
      onJobEvent: (_name, payload) => this.#onEvent(payload),
      onSync: () => void this.reread(),
      onSubscribed: () => {
        this.#problem(undefined);
        void this.reread();
      },
      onReconnected: () => void this.reread(),
      onUnavailable: (reason) =>
        this.#problem({ kind: 'live-unavailable', message: `Live updates paused (${reason}).` }),
    });
  }

  /** Reads the job (with signed URLs); a read asked for while one runs is made once after it. */
  reread(): Promise<void> {
    if (this.#reading !== undefined) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        await this.#readOnce();
      } while (this.#readAgain && !this.#closed);
      this.#reading = undefined;
    })();
    return this.#reading;
  }

  /** Disconnects for good; nothing reaches the handlers afterwards. */
  close(): void {
    this.#closed = true;
    this.#abort.abort();
    this.#realtime?.close();
    this.#realtime = undefined;
  }

  async #readOnce(): Promise<void> {
    try {
      const job = await this.#api.getJob(this.#jobId, this.#abort.signal, { signed: true });
      if (this.#closed) return;
      // A read that worked clears what an earlier read reported; the live link's state is its own.
      if (this.#problemKind !== undefined && this.#problemKind !== 'live-unavailable') this.#problem(undefined);
      this.#offer(job);
    } catch (err) {
      if (!this.#closed) this.#failed(err);
    }
  }

  #onEvent(payload: unknown): void {
    const job = jobFromEvent(payload);
    // A customer-wide token's channel carries every job of the customer: keep this one's.
    if (job === undefined || job.id !== this.#jobId) return;
    const before = this.#store.get(this.#jobId);
    this.#offer(job);
    const now = this.#store.get(this.#jobId);
    const needsRecord = job.truncated === true || (hasPlayableType(job) && playableOutput(now ?? job) === undefined);
    if (now !== before && needsRecord) void this.reread();
  }

  #offer(job: JobSummary): void {
    const outcome = this.#store.apply(job);
    if (outcome === 'inserted' || outcome === 'updated') this.#handlers.onJob(this.#store.get(this.#jobId)!);
  }

  #failed(err: unknown): void {
    if (this.#closed || (err instanceof DOMException && err.name === 'AbortError')) return;
    this.#problem(problemFrom(err));
    if (err instanceof ApiError && err.status === 401) this.close();
  }

  #problem(problem: WatchProblem | undefined): void {
    if (this.#closed || (problem === undefined && this.#problemKind === undefined)) return;
    this.#problemKind = problem?.kind;
    this.#handlers.onProblem(problem);
  }
}

/** The problem an API failure is, in words a viewer's page can show. */
export function problemFrom(err: unknown): WatchProblem {
  if (!(err instanceof ApiError)) return { kind: 'unreachable', message: `Could not read the job (${String(err)}).` };
  if (err.status === 401)
    return { kind: 'token-expired', message: 'This view has expired. Reload the page to see the video.' };
  if (err.status === 403) return { kind: 'forbidden', message: 'This view is not allowed to show this video.' };
  if (err.status === 404) return { kind: 'not-found', message: 'This video does not exist (any more).' };
  return { kind: 'unreachable', message: `Could not read the job: ${err.message}` };
}

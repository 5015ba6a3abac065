import {
  ApiError,
  isTerminal,
  type ApiClient,
  type Job,
  type JobOutput,
  type JobSummary,
  type SignedUrl,
} from '@kiln/client';
import { copyWithFeedback } from './clipboard.js';
import { mergeSummary } from './job-detail.format.js';
import type { JobDetailView } from './job-detail.view.js';
import { SnapshotLoader } from './snapshot-loader.js';

/** Deliveries are re-read this often while they are watched (the worker sends them; no event says so). */
const DELIVERIES_POLL_MS = 2_000;
/** And this often while one is pending a retry outside a watch window (backoff spaces retries by minutes). */
const PENDING_POLL_MS = 10_000;
/** How long after a job ends, or a replay, its deliveries are watched for new attempts. */
const DELIVERIES_WATCH_MS = 60_000;
/** Lifetime asked for the signed URLs the page plays and offers to copy. */
const SIGNED_URL_TTL_S = 3_600;

/**
 * Drives the job detail view for one signed-in session: reads the job's record and deliveries,
 * merges the session's live summaries into the record by `seq` (re-reading the record when a
 * summary lacks what the view shows), signs output URLs, and replays deliveries. The session
 * calls {@link update} with the job's newest summary after every change it applies (events,
 * snapshots after `sync` or a reconnect), so the view is as exact as the job table.
 */
export class JobDetailController {
  #jobId: string | undefined;
  #job: Job | undefined;
  #abort = new AbortController();
  #watchUntil = 0;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #hasPending = false;
  readonly #record: SnapshotLoader;
  readonly #deliveries: SnapshotLoader;

  constructor(
    private readonly api: ApiClient,
    private readonly view: JobDetailView,
    private readonly onUnauthorized: () => void,
  ) {
    this.#record = new SnapshotLoader(
      () => this.#readRecord(),
      (err) => this.#failed(err, (m) => this.view.showError(m)),
    );
    this.#deliveries = new SnapshotLoader(
      () => this.#readDeliveries(),
      (err) => this.#failed(err, (m) => this.view.renderDeliveries(`Could not read deliveries: ${m}`)),
    );
  }

  /** The job shown, if any. */
  get jobId(): string | undefined {
    return this.#jobId;
  }

  /** Shows job `id`: its record and deliveries from the API. */
  open(id: string): void {
    if (this.#jobId === id) return;
    this.close();
    this.#jobId = id;
    this.view.showLoading(id);
    void this.#record.request();
    void this.#deliveries.request();
  }

  /** Leaves the job: stops reads, polling and players. */
  close(): void {
    this.#jobId = undefined;
    this.#job = undefined;
    this.#abort.abort();
    this.#abort = new AbortController();
    clearTimeout(this.#poll);
    this.#poll = undefined;
    this.#watchUntil = 0;
    this.view.clear();
  }

  /** A newer version of some job from the session; merged by seq when it is the job shown. */
  update(summary: JobSummary): void {
    if (summary.id !== this.#jobId || this.#job === undefined) return;
    const merged = mergeSummary(this.#job, summary);
    if (merged === undefined) return;
    this.#show(merged.job);
    if (merged.reread) void this.#record.request();
  }

  /** A signed URL of one of the shown job's outputs. */
  signedUrl(output: JobOutput): Promise<SignedUrl> {
    const id = this.#jobId;
    if (id === undefined) return Promise.reject(new Error('no job shown'));
    return this.api.signedOutputUrl(id, output.name, SIGNED_URL_TTL_S);
  }

  /** Sends a delivery again and watches the list for its new attempts. */
  async replay(deliveryId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.api.replayDelivery(deliveryId);
      this.#watchDeliveries();
      await this.#deliveries.request();
    } catch (err) {
      this.#failed(err, (m) => this.view.renderDeliveries(`Could not replay: ${m}`));
    } finally {
      button.disabled = false;
    }
  }

  /** Re-reads the deliveries now (the Refresh button). */
  refreshDeliveries(): void {
    void this.#deliveries.request();
  }

  /** Copies a signed URL, saying so on the button. */
  copy(text: string, button: HTMLButtonElement): void {
    void copyWithFeedback(text, button);
  }

  async #readRecord(): Promise<void> {
    const id = this.#jobId;
    if (id === undefined) return;
    const job = await this.api.getJob(id, this.#abort.signal);
    if (id !== this.#jobId) return;
    // A newer event may have overtaken the read: keep whichever has the higher seq.
    if (this.#job !== undefined && this.#job.seq > job.seq) return;
    this.view.showError(undefined);
    this.#show(job);
  }

  /**
   * Shows a newer version of the job. When it has just ended (seen ending here, or read already
   * ended a moment ago), its webhooks are still being sent: the deliveries are watched for a while.
   */
  #show(job: Job): void {
    const before = this.#job;
    this.#job = job;
    this.view.render(job);
    if (!isTerminal(job.status) || (before !== undefined && isTerminal(before.status))) return;
    const finished = job.finishedAt === null ? Date.now() : Date.parse(job.finishedAt);
    if (before !== undefined) this.#watchDeliveries();
    else if (Date.now() - finished < DELIVERIES_WATCH_MS) this.#watchDeliveries(finished + DELIVERIES_WATCH_MS);
  }

  async #readDeliveries(): Promise<void> {
    const id = this.#jobId;
    if (id === undefined) return;
    const deliveries = await this.api.listDeliveries(id, this.#abort.signal);
    if (id !== this.#jobId) return;
    this.#hasPending = deliveries.some((d) => d.status === 'pending');
    this.view.renderDeliveries(deliveries);
    this.#schedulePoll();
  }

  #watchDeliveries(until = Date.now() + DELIVERIES_WATCH_MS): void {
    this.#watchUntil = Math.max(this.#watchUntil, until);
    this.#schedulePoll();
  }

  /** Polls while a delivery is pending or within a watch window; one timer at a time. */
  #schedulePoll(): void {
    if (this.#poll !== undefined || this.#jobId === undefined) return;
    const watched = Date.now() < this.#watchUntil;
    if (!this.#hasPending && !watched) return;
    this.#poll = setTimeout(
      () => {
        this.#poll = undefined;
        void this.#deliveries.request();
      },
      watched ? DELIVERIES_POLL_MS : PENDING_POLL_MS,
    );
  }

  #failed(err: unknown, show: (message: string) => void): void {
    if (err instanceof DOMException && err.name === 'AbortError') return;
    if (err instanceof ApiError && err.status === 401) {
      this.onUnauthorized();
      return;
    }
    if (err instanceof ApiError && err.status === 404) show('No such job (it may have been deleted).');
    else show(err instanceof Error ? err.message : String(err));
  }
}

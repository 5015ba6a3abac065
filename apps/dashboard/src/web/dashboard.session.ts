import {
  ApiError,
  connectRealtime,
  jobFromEvent,
  JobStore,
  queueFromEvent,
  type ApiClient,
  type JobSummary,
  type Me,
  type RealtimeConnection,
  type UploadProgress,
} from '@kiln/client';
import { linkStateOf, type LinkState } from './connection-state.js';
import type { EventLogView } from './event-log.view.js';
import type { JobAction } from './job-row.view.js';
import type { JobTableView } from './job-table.view.js';
import { FALLBACK_PRESETS, type NewJobFormView } from './new-job-form.view.js';
import { SnapshotLoader } from './snapshot-loader.js';
import type { ThroughputChartView } from './throughput-chart.view.js';

/** Jobs read per snapshot: enough for a dashboard, bounded so a big account cannot stall it. */
const SNAPSHOT_MAX_JOBS = 1000;
const SNAPSHOT_PAGE = 100;
/** Stats are re-read this often even when nothing else asks. */
const STATS_REFRESH_MS = 60_000;
/** A job created or finished asks for stats this long after, so a burst of jobs costs one read. */
const STATS_SETTLE_MS = 2_000;

/** What a notice is about; each source replaces only its own message. */
export type NoticeSource = 'snapshot' | 'realtime' | 'download' | 'action';

/** Whatever shows one job in detail: told the job's newest version after every change the session applies. */
interface JobWatcher {
  /** The job watched, if any. */
  readonly jobId: string | undefined;
  update(job: JobSummary): void;
}

/** The parts of the page a session drives. */
export interface SessionViews {
  table: JobTableView;
  log: EventLogView;
  form: NewJobFormView;
  stats: ThroughputChartView;
  /** The job detail view, fed from the same store as the table (events, snapshots after `sync`). */
  detail?: JobWatcher;
  setLinkState(state: LinkState): void;
  /** A message above the table, one per source; undefined clears that source's message. */
  notice(source: NoticeSource, message: string | undefined): void;
}

/** What a {@link DashboardSession} talks to and drives. */
export interface DashboardSessionDeps {
  api: ApiClient;
  /** The signed-in customer and the realtime settings, from `GET /v1/me`. */
  me: Me;
  views: SessionViews;
  /** Called when the API stops accepting the key (a 401): the page signs out. */
  onUnauthorized: () => void;
}

/**
 * One signed-in dashboard: snapshot plus channel events merged by seq into a {@link JobStore},
 * rendered at most once per animation frame. The snapshot is re-read on `sync`, on every
 * successful subscription and after every reconnect, which is what makes the gated channel exact:
 * changes before the gate opened come from the snapshot, changes after it from events.
 */
export class DashboardSession {
  readonly #store = new JobStore();
  readonly #loader: SnapshotLoader;
  readonly #statsLoader: SnapshotLoader;
  readonly #abort = new AbortController();
  #realtime: RealtimeConnection | undefined;
  #frame = 0;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #statsSoon: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  private readonly api: ApiClient;
  private readonly me: Me;
  private readonly views: SessionViews;
  private readonly onUnauthorized: () => void;

  constructor(deps: DashboardSessionDeps) {
    this.api = deps.api;
    this.me = deps.me;
    this.views = deps.views;
    this.onUnauthorized = deps.onUnauthorized;
    this.#loader = new SnapshotLoader(
      () => this.#readSnapshot(),
      (err) => this.#failed('snapshot', 'Could not load jobs', err),
    );
    this.#statsLoader = new SnapshotLoader(
      () => this.#readStats(),
      (err) => {
        if (err instanceof ApiError && err.status === 401) this.onUnauthorized();
        else this.views.stats.showError(`Could not load stats: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  /** Loads presets, the first snapshot and stats, and connects to the channel. */
  start(): void {
    this.views.setLinkState('connecting');
    void this.#loadPresets();
    void this.#loader.request();
    void this.#statsLoader.request();
    this.#statsTimer = setInterval(() => void this.#statsLoader.request(), STATS_REFRESH_MS);
    const authorize = (socketId: string, channel: string) => this.api.authorizeChannel(socketId, channel);
    this.#realtime = connectRealtime(this.me, authorize, {
      onConnectionState: (state, hasBeenConnected) => this.views.setLinkState(linkStateOf(state, hasBeenConnected)),
      onJobEvent: (name, payload) => {
        const job = jobFromEvent(payload);
        if (job === undefined) {
          this.views.log.add({ name, note: 'malformed' });
          return;
        }
        const outcome = this.#store.apply(job);
        this.views.log.add({
          name,
          jobId: job.id,
          seq: job.seq,
          note: outcome === 'inserted' || outcome === 'updated' ? undefined : outcome,
        });
        if (outcome === 'inserted' || outcome === 'updated') this.#scheduleRender();
        if (name !== 'job.progress' && outcome !== 'stale' && outcome !== 'duplicate') this.#refreshStatsSoon();
        // A summary carries everything a row shows; only a minimal one (no outputs) needs the record.
        if (job.truncated === true && outcome !== 'stale') void this.#readJob(job.id);
      },
      onQueueEvent: (payload) => this.#onQueueEvent(payload),
      onSync: () => {
        this.views.log.add({ name: 'sync' });
        void this.#loader.request();
        void this.#statsLoader.request();
      },
      onSubscribed: () => {
        this.views.notice('realtime', undefined);
        this.views.log.add({ name: 'subscribed' });
        void this.#loader.request();
      },
      onReconnected: () => {
        this.views.log.add({ name: 'reconnected' });
        void this.#loader.request();
      },
      onSubscriptionError: (detail) =>
        this.views.notice('realtime', `Could not subscribe to live updates (${detail}).`),
    });
  }

  /** Submits a job and shows it at once; the channel's `job.created` then merges by seq. */
  async submit(input: string, preset: string): Promise<void> {
    try {
      const job = await this.api.createJob(input, [{ preset }]);
      if (this.#store.apply(job) !== 'stale') this.#scheduleRender();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.onUnauthorized();
      throw err;
    }
  }

  /** Uploads a file for a job; resolves with the `upload://` input naming it. */
  async upload(file: File, onProgress: UploadProgress, signal: AbortSignal): Promise<string> {
    try {
      return (await this.api.upload(file, onProgress, signal)).input;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.onUnauthorized();
      throw err;
    }
  }

  /**
   * A row's button: cancel or retry shows the job as the API answers (its channel event then
   * merges by seq); delete removes the row once the API has deleted the job and its outputs.
   */
  async act(action: JobAction, jobId: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.views.notice('action', undefined);
    try {
      if (action === 'delete') {
        await this.api.deleteJob(jobId);
        if (this.#store.remove(jobId)) this.#scheduleRender();
        return;
      }
      const job = await (action === 'cancel' ? this.api.cancelJob(jobId) : this.api.retryJob(jobId));
      if (this.#store.apply(job) !== 'stale') this.#scheduleRender();
    } catch (err) {
      this.#failed('action', `Could not ${action} job ${jobId}`, err);
    } finally {
      button.disabled = false;
    }
  }

  /** Fetches an output with the bearer key and saves it through a short-lived blob URL. */
  async download(link: HTMLAnchorElement): Promise<void> {
    if (link.classList.contains('downloading')) return;
    link.classList.add('downloading');
    this.views.notice('download', undefined);
    try {
      const { blob, fileName } = await this.api.download(link.href, link.dataset['fileName'] ?? 'output');
      const url = URL.createObjectURL(blob);
      const save = document.createElement('a');
      save.href = url;
      save.download = fileName;
      document.body.append(save);
      save.click();
      save.remove();
      // Revoking at once can cancel the download in some browsers; a minute is plenty.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      this.#failed('download', 'Download failed', err);
    } finally {
      link.classList.remove('downloading');
    }
  }

  /** Disconnects and stops every pending read; the session cannot be restarted. */
  close(): void {
    this.#closed = true;
    this.#loader.stop();
    this.#statsLoader.stop();
    clearInterval(this.#statsTimer);
    clearTimeout(this.#statsSoon);
    this.#abort.abort();
    this.#realtime?.close();
    if (this.#frame !== 0) cancelAnimationFrame(this.#frame);
    this.#store.clear();
  }

  async #readSnapshot(): Promise<void> {
    let cursor: string | null = null;
    let read = 0;
    do {
      const page = await this.api.listJobs({ cursor, limit: SNAPSHOT_PAGE, signal: this.#abort.signal });
      if (this.#closed) return;
      if (this.#store.applyMany(page.data).length > 0) this.#scheduleRender();
      read += page.data.length;
      cursor = page.nextCursor;
    } while (cursor !== null && read < SNAPSHOT_MAX_JOBS);
    this.views.notice('snapshot', undefined);
  }

  /** Reads one job's full record and merges it (a newer event may have overtaken it: seq decides). */
  async #readJob(id: string): Promise<void> {
    try {
      const job = await this.api.getJob(id, this.#abort.signal);
      if (this.#closed) return;
      const { outcome, placeChanged } = this.#store.applyJob(job);
      if (outcome === 'inserted' || outcome === 'updated' || placeChanged) this.#scheduleRender();
    } catch (err) {
      // Deleted meanwhile: the next snapshot drops it. Anything else is shown like a failed snapshot.
      if (!(err instanceof ApiError && err.status === 404)) this.#failed('snapshot', `Could not load job ${id}`, err);
    }
  }

  /** `queue.updated`: queued rows show their new place; no read, the event carries it. */
  #onQueueEvent(payload: unknown): void {
    const event = queueFromEvent(payload);
    if (event === undefined) {
      this.views.log.add({ name: 'queue.updated', note: 'malformed' });
      return;
    }
    const changed = this.#store.applyQueue(event);
    this.views.log.add({ name: 'queue.updated', note: changed.length === 0 ? 'unchanged' : undefined });
    if (changed.length > 0) this.#scheduleRender();
  }

  async #readStats(): Promise<void> {
    const stats = await this.api.stats(this.#abort.signal);
    if (!this.#closed) this.views.stats.render(stats);
  }

  #refreshStatsSoon(): void {
    if (this.#statsSoon !== undefined || this.#closed) return;
    this.#statsSoon = setTimeout(() => {
      this.#statsSoon = undefined;
      void this.#statsLoader.request();
    }, STATS_SETTLE_MS);
  }

  async #loadPresets(): Promise<void> {
    try {
      const presets = await this.api.presets();
      if (!this.#closed) this.views.form.setPresets(presets.length > 0 ? presets : FALLBACK_PRESETS);
    } catch {
      if (!this.#closed) this.views.form.setPresets(FALLBACK_PRESETS);
    }
  }

  #scheduleRender(): void {
    if (this.#frame !== 0 || this.#closed) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.views.table.render(this.#store.newestFirst(), (id) => this.#store.placeOf(id));
      const watched = this.views.detail?.jobId;
      const job = watched === undefined ? undefined : this.#store.get(watched);
      if (job !== undefined) this.views.detail?.update(job);
    });
  }

  #failed(source: NoticeSource, what: string, err: unknown): void {
    if (this.#closed) return;
    if (err instanceof ApiError && err.status === 401) {
      this.onUnauthorized();
      return;
    }
    this.views.notice(source, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

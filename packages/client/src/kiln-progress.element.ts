import type { JobSummary } from './job.schema.js';
import { JobWatchSession, type WatchProblem } from './job-watch.session.js';
import { KILN_PROGRESS_HTML } from './kiln-progress.styles.js';
import { playableOutput, progressView, type Playable } from './progress-view.js';
import { attachPlayer, type AttachedPlayer } from './video-player.adapter.js';

/** `detail` of the `kiln-progress` event: sent once for every change of the job (a new `seq`: status or progress). */
export interface KilnProgressDetail {
  jobId: string;
  status: JobSummary['status'];
  /** 0-100; null while queued. */
  percent: number | null;
  etaSeconds: number | null;
  job: JobSummary;
}

/** `detail` of `kiln-completed` (`output`: what the player plays, once its signed URL is known) and `kiln-failed`. */
export interface KilnDoneDetail {
  jobId: string;
  job: JobSummary;
  output?: Playable;
  error?: { code: string; message: string };
}

const WATCHED = ['job', 'token', 'api'] as const;

/**
 * `<kiln-progress job="…" token="…" api="https://kiln.example">`: one job's live progress, status
 * and errors, then a player for its first playable output, with nothing but a viewer token
 * (`POST /v1/realtime/viewer-tokens`). Changing `job`, `token` or `api` re-wires it; removing it from
 * the page disconnects it. Events (bubbling, composed): `kiln-progress`, `kiln-completed`,
 * `kiln-failed`, and `kiln-token-expired`, which the page answers by setting a fresh `token`.
 */
export class KilnProgressElement extends HTMLElement {
  static readonly observedAttributes = [...WATCHED];
  /** The API to use when the element has no `api` attribute: the embed script sets its own origin. */
  static defaultApi: string | undefined;

  readonly #root: ShadowRoot;
  #session: JobWatchSession | undefined;
  #player: AttachedPlayer | undefined;
  #playing: string | undefined;
  #announced = new Set<string>();
  #rewire = false;
  /** A failed player was given a fresh signed URL once; cleared when it plays again. */
  #retried = false;
  #wiredJob: string | null = null;
  #emittedSeq = -1;
  #noticeText: string | undefined;
  #jobError: string | null = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    this.#root.innerHTML = KILN_PROGRESS_HTML;
    const video = this.#video;
    video.addEventListener('error', () => this.#playerFailed('the video could not be loaded'));
    video.addEventListener('playing', () => (this.#retried = false));
  }

  /** The viewer token; setting it re-wires the element (the answer to `kiln-token-expired`). */
  get token(): string | null {
    return this.getAttribute('token');
  }
  set token(value: string | null) {
    if (value === null) this.removeAttribute('token');
    else this.setAttribute('token', value);
  }

  /** The newest version of the job seen, if any. */
  get jobState(): JobSummary | undefined {
    return this.#session?.job;
  }

  connectedCallback(): void {
    this.#scheduleWire();
  }

  disconnectedCallback(): void {
    this.#closeSession();
    this.#stopPlayer();
  }

  attributeChangedCallback(_name: string, previous: string | null, next: string | null): void {
    if (previous !== next && this.isConnected) this.#scheduleWire();
  }

  /** Several attributes set in one go (job and token) wire once. */
  #scheduleWire(): void {
    if (this.#rewire) return;
    this.#rewire = true;
    queueMicrotask(() => {
      this.#rewire = false;
      if (this.isConnected) this.#wire();
    });
  }

  #wire(): void {
    this.#closeSession();
    const jobId = this.getAttribute('job');
    const jobChanged = this.#wiredJob !== jobId;
    this.#wiredJob = jobId;
    // A fresh token for the same job keeps the video playing; another job starts over.
    if (jobChanged) this.#stopPlayer();
    const token = this.getAttribute('token');
    const api = this.getAttribute('api') ?? KilnProgressElement.defaultApi;
    if (jobChanged) this.#reset();
    if (!jobId || !token || !api) {
      this.#notice(`Missing ${!jobId ? 'job' : !token ? 'token' : 'api'} attribute.`);
      return;
    }
    this.#notice(undefined);
    const session = new JobWatchSession(
      { api, jobId, token },
      { onJob: (job) => this.#render(job), onProblem: (p) => this.#problem(p) },
    );
    this.#session = session;
    void session.start();
  }

  #closeSession(): void {
    this.#session?.close();
    this.#session = undefined;
  }

  #stopPlayer(): void {
    const player = this.#player;
    // Cleared first: detaching the source must not read as a failure of the player.
    this.#player = undefined;
    this.#playing = undefined;
    player?.destroy();
  }

  #reset(): void {
    this.#announced.clear();
    this.#retried = false;
    this.#emittedSeq = -1;
    this.#jobError = null;
    this.removeAttribute('status');
    this.#part('status').textContent = 'Loading…';
    this.#part('eta').textContent = '';
    this.#part('percent').textContent = '';
    this.#part('fill').style.width = '0';
    this.#video.hidden = true;
  }

  #render(job: JobSummary): void {
    const view = progressView(job);
    this.setAttribute('status', job.status);
    this.#part('status').textContent = view.label;
    this.#part('eta').textContent = view.eta ?? '';
    this.#part('percent').textContent = view.percent === null ? '' : `${Math.floor(view.percent)}%`;
    this.#part('fill').style.width = `${view.percent ?? 0}%`;
    const bar = this.#part('bar');
    if (view.percent === null) bar.removeAttribute('aria-valuenow');
    else bar.setAttribute('aria-valuenow', String(view.percent));
    this.#jobError = view.error;
    this.#showMessage();
    const detail: KilnProgressDetail = {
      jobId: job.id,
      status: job.status,
      percent: view.percent,
      etaSeconds: job.progress.etaSeconds,
      job,
    };
    // The read after an event of the same seq adds details (signed URLs), not a change: one event per seq.
    if (job.seq > this.#emittedSeq) this.#emit('kiln-progress', detail);
    this.#emittedSeq = Math.max(this.#emittedSeq, job.seq);
    if (job.status === 'failed' && this.#once('failed'))
      this.#emit<KilnDoneDetail>('kiln-failed', { jobId: job.id, job, ...(job.error ? { error: job.error } : {}) });
    if (job.status === 'completed') this.#completed(job);
  }

  #completed(job: JobSummary): void {
    const playable = playableOutput(job);
    // Announced once, with the output when its signed URL is known (a completed event has none: a read follows).
    if (playable !== undefined || job.outputs.every((o) => o.status !== 'completed')) {
      if (this.#once('completed'))
        this.#emit<KilnDoneDetail>('kiln-completed', { jobId: job.id, job, ...(playable ? { output: playable } : {}) });
    }
    if (playable !== undefined) void this.#play(playable);
  }

  async #play(playable: Playable): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    const url = new URL(playable.url, `${session.apiUrl}/`).href;
    // One player per job: later reads bring new signed URLs for the same output, which plays on.
    if (this.#playing !== undefined) return;
    this.#playing = url;
    const video = this.#video;
    video.muted = this.hasAttribute('muted');
    video.autoplay = this.hasAttribute('autoplay');
    video.hidden = false;
    try {
      const player = await attachPlayer(video, playable.kind, url, (message) => this.#playerFailed(message));
      if (this.#playing !== url) return player.destroy();
      this.#player = player;
      video.dataset['engine'] = player.engine;
      if (video.autoplay) video.play().catch(() => undefined);
    } catch (err) {
      this.#notice(`Cannot play this video: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A signed URL may have expired while the page stayed open: re-read once for a fresh one, then give up. */
  #playerFailed(message: string): void {
    const session = this.#session;
    if (session === undefined || this.#playing === undefined) return;
    if (!this.#retried) {
      this.#retried = true;
      this.#stopPlayer();
      void session.reread().then(() => {
        const job = session.job;
        const playable = job ? playableOutput(job) : undefined;
        if (playable && this.#session === session) void this.#play(playable);
      });
      return;
    }
    this.#notice(`The video could not be played (${message}).`);
  }

  #problem(problem: WatchProblem | undefined): void {
    this.#notice(problem?.message);
    if (problem?.kind === 'token-expired') this.#emit('kiln-token-expired', { jobId: this.getAttribute('job') });
  }

  /** What went wrong around the job (token, network, player); shown over the job's own error. */
  #notice(text: string | undefined): void {
    this.#noticeText = text;
    this.#showMessage();
  }

  #showMessage(): void {
    const text = this.#noticeText ?? this.#jobError ?? undefined;
    const el = this.#part('message');
    el.textContent = text ?? '';
    el.hidden = text === undefined;
  }

  #once(what: string): boolean {
    if (this.#announced.has(what)) return false;
    this.#announced.add(what);
    return true;
  }

  #emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #part(name: string): HTMLElement {
    return this.#root.querySelector<HTMLElement>(`[part="${name}"]`)!;
  }

  get #video(): HTMLVideoElement {
    return this.#root.querySelector('video')!;
  }
}

/** Registers `<kiln-progress>` (once; a second call, or a second copy of the script, is a no-op). */
export function defineKilnProgress(): void {
  if (customElements.get('kiln-progress') === undefined) customElements.define('kiln-progress', KilnProgressElement);
}

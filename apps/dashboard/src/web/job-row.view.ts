import { el, setText } from './dom.js';
import { formatBytes, formatCreated, formatEta, formatFps, formatSpeed, percentOf, shortId } from './format.js';
import { routeHash } from './hash-route.js';
import { formatQueuePlace, type JobOutputSummary, type JobQueue, type JobSummary as Job } from '@kiln/client';

const ACTIVE = new Set(['probing', 'encoding', 'storing']);

/** What a row's buttons do; the table turns a click into a call with the row's job id. */
export type JobAction = 'cancel' | 'retry' | 'delete';

/** The buttons a job in each status offers, in the order shown. */
function actionsFor(status: string): JobAction[] {
  if (status === 'queued' || ACTIVE.has(status)) return ['cancel'];
  if (status === 'failed' || status === 'cancelled') return ['retry', 'delete'];
  if (status === 'completed') return ['delete'];
  return [];
}

const ACTION_LABELS: Record<JobAction, string> = { cancel: 'Cancel', retry: 'Retry', delete: 'Delete' };

/** What a queued row says about its place in line (the one formatter the CLI uses too); empty otherwise. */
export function placeText(status: string, place: JobQueue | undefined): string {
  return status === 'queued' && place !== undefined ? formatQueuePlace(place) : '';
}

/**
 * One keyed table row. `update` touches the DOM only when the job's seq changed, and within the
 * row rebuilds the outputs and error cells only when their content did, so a stream of progress
 * events costs a few text writes and never replaces a link the user is about to click. A queued
 * job's place in line moves without its seq: it is one text written in place when it changes.
 */
export class JobRowView {
  readonly el: HTMLTableRowElement;
  readonly #created = el('td', { class: 'created' });
  readonly #badge = el('span', { class: 'badge', 'data-testid': 'job-status' });
  readonly #priority = el('span', { class: 'tag', 'data-testid': 'job-priority', hidden: '' });
  readonly #place = el('div', { class: 'queue-place muted', 'data-testid': 'job-queue', hidden: '' });
  readonly #bar = el('div', {
    class: 'bar',
    'data-testid': 'job-progress',
    role: 'progressbar',
    'aria-valuemin': '0',
    'aria-valuemax': '100',
  });
  readonly #fill = el('div', { class: 'fill' });
  readonly #percent = el('span', { class: 'pct' });
  readonly #fps = el('td', { class: 'num' });
  readonly #speed = el('td', { class: 'num' });
  readonly #eta = el('td', { class: 'num' });
  readonly #outputs = el('td', { class: 'outputs' });
  readonly #error = el('td', { class: 'error' });
  readonly #actions = el('td', { class: 'actions' });
  #actionsKey = '';
  #seq = Number.NEGATIVE_INFINITY;
  #outputsKey = '';
  #errorKey = '';

  constructor(
    job: Job,
    private readonly urlOf: (path: string) => string,
    place?: JobQueue,
  ) {
    this.#bar.append(this.#fill);
    this.el = el(
      'tr',
      { 'data-testid': 'job-row', 'data-job-id': job.id },
      el(
        'td',
        { class: 'id', title: job.id },
        el(
          'a',
          { href: routeHash({ view: 'job', id: job.id }), 'data-testid': 'job-open' },
          el('code', {}, shortId(job.id)),
        ),
      ),
      this.#created,
      el('td', { class: 'status' }, this.#badge, this.#priority, this.#place),
      el('td', {}, el('div', { class: 'progress-cell' }, this.#bar, this.#percent)),
      this.#fps,
      this.#speed,
      this.#eta,
      this.#outputs,
      this.#error,
      this.#actions,
    );
    this.update(job, place);
  }

  /**
   * Shows `job` and its place in line; returns whether the job was a different version from the
   * one shown (the place is compared on its own: it changes while the version stays).
   */
  update(job: Job, place?: JobQueue): boolean {
    this.#showPlace(placeText(job.status, place));
    if (job.seq === this.#seq) return false;
    this.#seq = job.seq;
    this.el.dataset['seq'] = String(job.seq);
    const status = job.status;
    if (this.el.dataset['status'] !== status) {
      this.el.dataset['status'] = status;
      this.#badge.className = `badge status-${status}`;
    }
    setText(this.#badge, status);
    this.#showPriority(job.priority);
    setText(this.#created, formatCreated(job.createdAt));
    this.#created.title = job.createdAt;

    const pct = status === 'completed' ? 100 : percentOf(job.progress?.percent);
    const pctText = String(pct);
    if (this.#bar.dataset['percent'] !== pctText) {
      this.#bar.dataset['percent'] = pctText;
      this.#bar.setAttribute('aria-valuenow', pctText);
      // CSSOM writes are allowed by the CSP (style-src 'self'); a style="" attribute would not be.
      this.#fill.style.width = `${pct}%`;
      setText(this.#percent, `${pct}%`);
    }

    const active = ACTIVE.has(status);
    setText(this.#fps, active ? formatFps(job.progress?.fps) : '—');
    setText(this.#speed, active ? formatSpeed(job.progress?.speed) : '—');
    setText(this.#eta, active ? formatEta(job.progress?.etaSeconds) : '—');

    const outputsKey = JSON.stringify(
      job.outputs.map((o) => [
        o.name,
        o.status,
        o.downloadPath,
        o.sizeBytes,
        o.width,
        o.height,
        o.bitrateKbps,
        o.checksum,
      ]),
    );
    if (outputsKey !== this.#outputsKey) {
      this.#outputsKey = outputsKey;
      this.#outputs.replaceChildren(...job.outputs.map((o) => this.#output(o)));
    }

    const actions = actionsFor(status);
    const actionsKey = actions.join(',');
    if (actionsKey !== this.#actionsKey) {
      this.#actionsKey = actionsKey;
      this.#actions.replaceChildren(
        ...actions.map((action) =>
          el(
            'button',
            {
              type: 'button',
              class: `ghost action action-${action}`,
              'data-action': action,
              'data-testid': `job-${action}`,
            },
            ACTION_LABELS[action],
          ),
        ),
      );
    }

    const errorKey = job.error === null ? '' : `${job.error.code}\u0000${job.error.message}`;
    if (errorKey !== this.#errorKey) {
      this.#errorKey = errorKey;
      this.#error.replaceChildren(
        job.error === null ? '' : el('span', { 'data-testid': 'job-error', title: job.error.code }, job.error.message),
      );
    }
    return true;
  }

  /** A small tag for a priority other than normal. */
  #showPriority(priority: string | undefined): void {
    const shown = priority !== undefined && priority !== 'normal' ? priority : '';
    if (this.#priority.dataset['priority'] === shown) return;
    this.#priority.dataset['priority'] = shown;
    this.#priority.className = shown ? `tag priority-${shown}` : 'tag';
    this.#priority.title = shown ? `${shown} priority` : '';
    setText(this.#priority, shown);
    this.#priority.hidden = shown === '';
  }

  #showPlace(text: string): void {
    if (this.#place.textContent === text) return;
    this.#place.textContent = text;
    this.#place.title = text;
    this.#place.hidden = text === '';
  }

  #output(o: JobOutputSummary): HTMLElement {
    const shown = outputCell(o);
    if (shown.downloadPath !== null) {
      return el(
        'div',
        { class: 'output' },
        el(
          'a',
          {
            'data-testid': 'output-link',
            href: this.urlOf(shown.downloadPath),
            'data-file-name': shown.fileName,
            title: shown.title,
          },
          shown.name,
        ),
        shown.detail ? el('span', { class: 'muted' }, ` ${shown.detail}`) : null,
      );
    }
    return el(
      'div',
      { class: 'output' },
      el('span', { title: shown.title }, shown.name),
      el('span', { class: 'muted' }, ` ${shown.detail}`),
    );
  }
}

/** What a row's outputs cell shows for one output: a download link with its details, or its status. */
export interface OutputCell {
  name: string;
  title: string;
  /** Set for a completed output: the link's target. */
  downloadPath: string | null;
  fileName: string;
  detail: string;
}

/**
 * The outputs cell of one output, from the fields a job summary carries (events send no `files`):
 * dimensions, size and bit rate once completed, the checksum in the link's tooltip.
 */
export function outputCell(o: JobOutputSummary): OutputCell {
  if (o.status === 'completed' && o.downloadPath !== null) {
    const dims = o.width !== null && o.height !== null ? `${o.width}×${o.height}` : '';
    const bitrate = typeof o.bitrateKbps === 'number' ? `${o.bitrateKbps.toLocaleString('en-US')} kbit/s` : '';
    // The checksum goes in the tooltip: whoever needs it copies it from there or from the API.
    const title = o.checksum ? `${o.preset} · ${o.checksum}` : o.preset;
    return {
      name: o.name,
      title,
      downloadPath: o.downloadPath,
      fileName: fileNameFor(o),
      detail: [dims, formatBytes(o.sizeBytes), bitrate].filter(Boolean).join(' · '),
    };
  }
  return { name: o.name, title: o.preset, downloadPath: null, fileName: fileNameFor(o), detail: o.status };
}

function fileNameFor(o: JobOutputSummary): string {
  const ext = o.contentType === 'video/mp4' ? '.mp4' : o.contentType === 'application/vnd.apple.mpegurl' ? '.m3u8' : '';
  return o.name.includes('.') || ext === '' ? o.name : `${o.name}${ext}`;
}

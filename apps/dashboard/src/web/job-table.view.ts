import { byTestId, setText } from './dom.js';
import { JobRowView, type JobAction } from './job-row.view.js';
import type { JobQueue, JobSummary as Job } from '@kiln/client';

/** Rows added to the DOM per "show more" click. */
const PAGE_ROWS = 200;

/** Where the table's links point and what its links and row buttons do. */
export interface JobTableHandlers {
  /** The API URL of an output's download path. */
  urlOf: (path: string) => string;
  onDownload: (link: HTMLAnchorElement) => void;
  onAction?: (action: JobAction, jobId: string, button: HTMLButtonElement) => void;
}

/**
 * The live job table. Rows are keyed by job id and reused; only the first `limit` jobs are in the
 * DOM, so a thousand jobs cost no more layout than two hundred. Render is cheap when little
 * changed: a seq comparison per visible row and no DOM moves when the order is the same.
 */
export class JobTableView {
  readonly #rows = new Map<string, JobRowView>();
  readonly #tbody: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #count: HTMLElement;
  readonly #more: HTMLButtonElement;
  #limit = PAGE_ROWS;
  #last: readonly Job[] = [];
  #placeOf: (id: string) => JobQueue | undefined = () => undefined;

  private readonly urlOf: (path: string) => string;

  constructor(root: HTMLElement, { urlOf, onDownload, onAction = () => undefined }: JobTableHandlers) {
    this.urlOf = urlOf;
    this.#tbody = byTestId('job-rows', root);
    this.#empty = byTestId('jobs-empty', root);
    this.#count = byTestId('jobs-count', root);
    this.#more = byTestId<HTMLButtonElement>('show-more', root);
    this.#more.addEventListener('click', () => {
      this.#limit += PAGE_ROWS;
      this.render(this.#last, this.#placeOf);
    });
    // One listener for every download link and row button, present and future.
    this.#tbody.addEventListener('click', (e) => {
      const target = e.target as Element | null;
      const link = target?.closest?.('a[data-testid="output-link"]');
      if (link instanceof HTMLAnchorElement) {
        e.preventDefault();
        onDownload(link);
        return;
      }
      const button = target?.closest?.('button[data-action]');
      const jobId = button?.closest('tr')?.dataset['jobId'];
      if (button instanceof HTMLButtonElement && jobId !== undefined && !button.disabled)
        onAction(button.dataset['action'] as JobAction, jobId, button);
    });
  }

  /** Shows `jobs` (already newest first) and, for queued ones, their place in line. */
  render(jobs: readonly Job[], placeOf: (id: string) => JobQueue | undefined = () => undefined): void {
    this.#last = jobs;
    this.#placeOf = placeOf;
    const visible = jobs.length > this.#limit ? jobs.slice(0, this.#limit) : jobs;
    const keep = new Set<string>();
    for (const job of visible) keep.add(job.id);
    for (const [id, row] of this.#rows) {
      if (!keep.has(id)) {
        row.el.remove();
        this.#rows.delete(id);
      }
    }
    let cursor = this.#tbody.firstElementChild;
    for (const job of visible) {
      let row = this.#rows.get(job.id);
      if (row === undefined) {
        row = new JobRowView(job, this.urlOf, placeOf(job.id));
        this.#rows.set(job.id, row);
      } else {
        row.update(job, placeOf(job.id));
      }
      if (row.el === cursor) cursor = cursor.nextElementSibling;
      else this.#tbody.insertBefore(row.el, cursor);
    }
    this.#empty.hidden = jobs.length > 0;
    setText(
      this.#count,
      jobs.length === 0 ? '' : visible.length < jobs.length ? `${visible.length} of ${jobs.length}` : `${jobs.length}`,
    );
    this.#more.hidden = visible.length >= jobs.length;
  }

  /** Empties the table (sign-out). */
  clear(): void {
    this.#rows.clear();
    this.#tbody.replaceChildren();
    this.#limit = PAGE_ROWS;
    this.render([]);
  }
}

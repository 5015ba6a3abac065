import { el } from './dom.js';
import { shortId } from './format.js';

/** Entries kept in the log. */
const EVENT_LOG_SIZE = 50;

/** One line of the events log. */
export interface EventLogEntry {
  name: string;
  jobId?: string | undefined;
  seq?: number | undefined;
  /** What the store did with it: applied, or ignored as stale/duplicate. */
  note?: string | undefined;
}

/**
 * The last {@link EVENT_LOG_SIZE} channel events, newest on top, each with its job id, seq and
 * whether it changed anything: makes the gate and the seq merge visible while testing.
 */
export class EventLogView {
  constructor(private readonly list: HTMLElement) {}

  /** Adds an entry on top, dropping the oldest beyond the cap. */
  add(entry: EventLogEntry, at: Date = new Date()): void {
    const time = at.toLocaleTimeString(undefined, { hour12: false });
    const li = el(
      'li',
      {
        'data-testid': 'event-log-entry',
        'data-event': entry.name,
        'data-job-id': entry.jobId,
        'data-seq': entry.seq === undefined ? undefined : String(entry.seq),
      },
      el('time', { class: 'muted' }, time),
      ' ',
      el('span', { class: 'event-name' }, entry.name),
      entry.jobId !== undefined ? el('code', { title: entry.jobId }, ` ${shortId(entry.jobId)}`) : null,
      entry.seq !== undefined ? el('span', { class: 'muted' }, ` seq ${entry.seq}`) : null,
      entry.note !== undefined ? el('span', { class: `note note-${entry.note}` }, ` ${entry.note}`) : null,
    );
    this.list.prepend(li);
    while (this.list.childElementCount > EVENT_LOG_SIZE) this.list.lastElementChild?.remove();
  }

  /** Empties the log (sign-out). */
  clear(): void {
    this.list.replaceChildren();
  }
}

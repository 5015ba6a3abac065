import type { Job, JobOutput, SignedUrl, WebhookDeliveryView } from '@kiln/client';
import { el, setText } from './dom.js';
import { formatEta, formatFps, formatSpeed, percentOf } from './format.js';
import { routeHash } from './hash-route.js';
import { inputFacts, jobFacts, outputDetail, outputMedia, formatTimestamp, type Fact } from './job-detail.format.js';
import { createOutputPlayer, type OutputPlayer } from './output-player.js';
import { attemptText, deliveryStatusText } from './webhooks.format.js';

/** What the detail view's buttons ask for. */
export interface JobDetailHandlers {
  /** A signed URL of a completed output, for its player and the copy field. */
  signedUrl(output: JobOutput): Promise<SignedUrl>;
  replay(deliveryId: string, button: HTMLButtonElement): void;
  refreshDeliveries(): void;
  copy(text: string, button: HTMLButtonElement): void;
}

/** One output's card and the player in it, kept while the output's content is the same. */
interface OutputCard {
  key: string;
  el: HTMLElement;
  player: OutputPlayer | undefined;
}

const ACTIVE = new Set(['probing', 'encoding', 'storing']);

/**
 * One job in detail: status and live progress, its state and input facts, every output with a
 * player from a signed URL and the URL to copy, and the webhook deliveries of its events with a
 * replay button each. An output's card (and the video playing in it) is rebuilt only when that
 * output changed, so progress events cost a few text writes.
 */
export class JobDetailView {
  readonly #id = el('code', { 'data-testid': 'detail-job-id' });
  readonly #badge = el('span', { class: 'badge', 'data-testid': 'detail-status' });
  readonly #fill = el('div', { class: 'fill' });
  readonly #bar = el('div', { class: 'bar', role: 'progressbar', 'data-testid': 'detail-progress' }, this.#fill);
  readonly #rate = el('span', { class: 'muted small', 'data-testid': 'detail-rate' });
  readonly #error = el('p', { class: 'form-error', role: 'alert', 'data-testid': 'detail-load-error', hidden: '' });
  readonly #facts = el('dl', { class: 'facts', 'data-testid': 'detail-facts' });
  readonly #input = el('dl', { class: 'facts', 'data-testid': 'detail-input' });
  readonly #outputs = el('div', { class: 'detail-outputs', 'data-testid': 'detail-outputs' });
  readonly #deliveries = el('tbody', { 'data-testid': 'delivery-rows' });
  readonly #deliveriesNote = el('p', { class: 'muted small', 'data-testid': 'deliveries-note' });
  readonly #cards = new Map<string, OutputCard>();
  #factsKey = '';

  constructor(
    private readonly root: HTMLElement,
    private readonly handlers: JobDetailHandlers,
  ) {
    const refresh = el('button', { type: 'button', class: 'ghost', 'data-testid': 'deliveries-refresh' }, 'Refresh');
    refresh.addEventListener('click', () => handlers.refreshDeliveries());
    root.replaceChildren(
      el('a', { href: routeHash({ view: 'jobs' }), class: 'back', 'data-testid': 'back-to-jobs' }, '← All jobs'),
      el('h2', {}, 'Job ', this.#id, ' ', this.#badge),
      el('div', { class: 'progress-cell' }, this.#bar, this.#rate),
      this.#error,
      el(
        'div',
        { class: 'detail-grid' },
        el('div', {}, el('h3', {}, 'State'), this.#facts),
        el('div', {}, el('h3', {}, 'Input'), this.#input),
      ),
      el('h3', {}, 'Outputs'),
      this.#outputs,
      el('h3', {}, 'Webhook deliveries ', refresh),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'deliveries' },
          el('thead', {}, el('tr', {}, ...['Event', 'Receiver', 'Status', 'Attempts', ''].map((h) => el('th', {}, h)))),
          this.#deliveries,
        ),
      ),
      this.#deliveriesNote,
    );
    this.#deliveries.addEventListener('click', (e) => {
      const button = (e.target as Element | null)?.closest?.('button[data-testid="delivery-replay"]');
      const id = button?.closest('tr')?.dataset['deliveryId'];
      if (button instanceof HTMLButtonElement && id !== undefined && !button.disabled) handlers.replay(id, button);
    });
  }

  /** Empties the view for a job about to load. */
  showLoading(id: string): void {
    this.clear();
    this.root.dataset['jobId'] = id;
    setText(this.#id, id);
    setText(this.#deliveriesNote, 'Loading…');
  }

  /** Says why the job cannot be shown (not found, no access, API down). */
  showError(message: string | undefined): void {
    this.#error.hidden = message === undefined;
    setText(this.#error, message ?? '');
  }

  /** Shows `job`; outputs whose content did not change keep their card and player. */
  render(job: Job): void {
    this.root.dataset['jobId'] = job.id;
    this.root.dataset['status'] = job.status;
    this.root.dataset['seq'] = String(job.seq);
    setText(this.#id, job.id);
    this.#badge.className = `badge status-${job.status}`;
    setText(this.#badge, job.status);
    const pct = String(job.status === 'completed' ? 100 : percentOf(job.progress.percent));
    this.#bar.dataset['percent'] = pct;
    this.#bar.setAttribute('aria-valuenow', pct);
    this.#fill.style.width = `${pct}%`;
    const p = job.progress;
    const rate = ACTIVE.has(job.status)
      ? `${pct}% · ${formatFps(p.fps)} fps · ${formatSpeed(p.speed)} · ETA ${formatEta(p.etaSeconds)}`
      : `${pct}%`;
    setText(this.#rate, rate);
    const factsKey = JSON.stringify([jobFacts(job), inputFacts(job)]);
    if (factsKey !== this.#factsKey) {
      this.#factsKey = factsKey;
      this.#facts.replaceChildren(...factItems(jobFacts(job)));
      this.#input.replaceChildren(...factItems(inputFacts(job)));
    }
    this.#renderOutputs(job.outputs, job.status === 'completed');
  }

  /** Shows the job's deliveries, or why they could not be read. */
  renderDeliveries(deliveries: readonly WebhookDeliveryView[] | string): void {
    if (typeof deliveries === 'string') {
      setText(this.#deliveriesNote, deliveries);
      return;
    }
    this.#deliveries.replaceChildren(...deliveries.map(deliveryRow));
    setText(
      this.#deliveriesNote,
      deliveries.length === 0 ? 'No deliveries: no webhook endpoint took an event of this job (yet).' : '',
    );
  }

  /** Stops every player and empties the view (leaving the page or the job). */
  clear(): void {
    for (const card of this.#cards.values()) card.player?.destroy();
    this.#cards.clear();
    this.#outputs.replaceChildren();
    this.#deliveries.replaceChildren();
    this.#facts.replaceChildren();
    this.#input.replaceChildren();
    this.#factsKey = '';
    this.showError(undefined);
    for (const key of ['jobId', 'status', 'seq']) delete this.root.dataset[key];
  }

  /** Players come once the whole job is completed: the API signs URLs of completed jobs only. */
  #renderOutputs(outputs: readonly JobOutput[], jobCompleted: boolean): void {
    const keep = new Set(outputs.map((o) => o.name));
    for (const [name, card] of this.#cards) {
      if (keep.has(name)) continue;
      card.player?.destroy();
      this.#cards.delete(name);
    }
    const cards = outputs.map((o) => {
      const playable = jobCompleted && o.status === 'completed';
      const key = JSON.stringify([o.status, playable, o.downloadPath, o.sizeBytes, o.checksum, o.files?.length]);
      const card = this.#cards.get(o.name);
      if (card?.key === key) return card.el;
      card?.player?.destroy();
      const fresh = this.#outputCard(o, key, playable);
      this.#cards.set(o.name, fresh);
      return fresh.el;
    });
    this.#outputs.replaceChildren(...cards);
  }

  #outputCard(o: JobOutput, key: string, playable: boolean): OutputCard {
    const body = el('div', { class: 'output-body' });
    const card: OutputCard = {
      key,
      player: undefined,
      el: el(
        'div',
        { class: 'detail-output', 'data-testid': 'detail-output', 'data-output-name': o.name, 'data-status': o.status },
        el(
          'div',
          { class: 'output-head' },
          el('strong', {}, o.name),
          el('span', { class: 'muted' }, ` ${outputDetail(o)}`),
        ),
        body,
      ),
    };
    if (o.status === 'completed' && !playable)
      body.append(el('p', { class: 'muted small' }, 'Plays once the job completes.'));
    if (!playable) return card;
    body.append(el('p', { class: 'muted small' }, 'Signing a URL…'));
    this.handlers.signedUrl(o).then(
      (signed) => {
        if (this.#cards.get(o.name) !== card) return;
        card.player = createOutputPlayer(outputMedia(o), signed.url, o.files);
        body.replaceChildren(card.player.el, this.#signedUrlField(signed));
      },
      (err: unknown) => {
        if (this.#cards.get(o.name) !== card) return;
        body.replaceChildren(el('p', { class: 'form-error' }, `Could not sign a URL: ${messageOf(err)}`));
      },
    );
    return card;
  }

  #signedUrlField(signed: SignedUrl): HTMLElement {
    const field = el('input', { type: 'text', readonly: '', value: signed.url, 'data-testid': 'signed-url' });
    field.addEventListener('focus', () => field.select());
    const copy = el('button', { type: 'button', class: 'ghost', 'data-testid': 'copy-signed-url' }, 'Copy URL');
    copy.addEventListener('click', () => this.handlers.copy(signed.url, copy));
    return el(
      'div',
      { class: 'signed-url' },
      el('div', { class: 'row' }, field, copy),
      el(
        'p',
        { class: 'muted small', 'data-testid': 'signed-url-expiry' },
        `Plays without a key until ${formatTimestamp(signed.expiresAt)}.`,
      ),
    );
  }
}

function factItems(facts: readonly Fact[]): HTMLElement[] {
  return facts.flatMap((f) => [el('dt', {}, f.label), el('dd', {}, f.value)]);
}

function deliveryRow(d: WebhookDeliveryView): HTMLTableRowElement {
  const attempts = el(
    'ol',
    { class: 'attempts' },
    ...d.attempts.map((a) => el('li', { 'data-testid': 'delivery-attempt' }, attemptText(a))),
  );
  return el(
    'tr',
    {
      'data-testid': 'delivery-row',
      'data-delivery-id': d.id,
      'data-status': d.status,
      'data-attempts': String(d.attempts.length),
      'data-event-type': d.eventType,
    },
    el('td', {}, el('code', {}, d.eventType), el('div', { class: 'muted small', title: 'webhook-id' }, d.webhookId)),
    el('td', { class: 'url' }, d.url),
    el('td', {}, el('span', { class: `badge delivery-${d.status}` }, deliveryStatusText(d))),
    el('td', {}, attempts),
    el('td', {}, el('button', { type: 'button', class: 'ghost', 'data-testid': 'delivery-replay' }, 'Replay')),
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

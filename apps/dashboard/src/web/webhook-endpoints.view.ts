import { WEBHOOK_EVENT_TYPES, type ApiClient, type WebhookEndpointView } from '@kiln/client';
import { el, setText } from './dom.js';
import { formatTimestamp } from './job-detail.format.js';
import { endpointEventsText, endpointFormProblem, eventsToRequest } from './webhooks.format.js';

/** What the form sends to `POST /v1/webhook-endpoints`. */
export type NewWebhookEndpoint = Parameters<ApiClient['createWebhookEndpoint']>[0];

/** A button of an endpoint's row. */
export type EndpointAction = 'rotate' | 'delete' | 'enable';

/** What the page's form and buttons ask for. */
export interface WebhookEndpointsHandlers {
  create(endpoint: NewWebhookEndpoint): Promise<void>;
  act(action: EndpointAction, endpoint: WebhookEndpointView, button: HTMLButtonElement): void;
  copy(text: string, button: HTMLButtonElement): void;
}

/**
 * The webhook endpoints page: the customer's endpoints (URL, events, status and, when Kiln
 * disabled one, why, with a button to enable it again), a form to add one, and rotate and delete
 * buttons. A secret (on creation or rotation) is shown once, with a copy button, until dismissed.
 */
export class WebhookEndpointsView {
  readonly #rows = el('tbody', { 'data-testid': 'endpoint-rows' });
  readonly #empty = el(
    'p',
    { class: 'muted', 'data-testid': 'endpoints-empty', hidden: '' },
    'No webhook endpoints yet.',
  );
  readonly #secret = el('div', { class: 'secret-once', role: 'status', 'data-testid': 'secret-once', hidden: '' });
  readonly #error = el('p', { class: 'form-error', role: 'alert', 'data-testid': 'endpoint-error', hidden: '' });
  readonly #url = el('input', {
    type: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'https://example.com/kiln-webhooks',
    'data-testid': 'endpoint-url',
    id: 'endpoint-url',
  });
  readonly #description = el('input', {
    type: 'text',
    autocomplete: 'off',
    'data-testid': 'endpoint-description',
    id: 'endpoint-description',
  });
  readonly #events = WEBHOOK_EVENT_TYPES.map((type) =>
    el('input', { type: 'checkbox', value: type, checked: '', 'data-testid': `endpoint-event-${type}` }),
  );
  readonly #submit = el('button', { type: 'submit', 'data-testid': 'endpoint-add' }, 'Add endpoint');
  #shown: readonly WebhookEndpointView[] = [];

  constructor(
    root: HTMLElement,
    private readonly handlers: WebhookEndpointsHandlers,
  ) {
    const form = el(
      'form',
      { novalidate: '', 'data-testid': 'endpoint-form' },
      el('label', { for: 'endpoint-url' }, 'Receiver URL'),
      this.#url,
      el('label', { for: 'endpoint-description' }, 'Description (optional)'),
      this.#description,
      el(
        'fieldset',
        { class: 'event-types' },
        el('legend', {}, 'Events'),
        ...this.#events.map((box) => el('label', { class: 'check' }, box, ` ${box.value}`)),
      ),
      el('div', { class: 'row' }, this.#submit),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#send();
    });
    root.replaceChildren(
      el('h2', {}, 'Webhook endpoints'),
      el(
        'p',
        { class: 'muted small' },
        'Kiln signs every delivery with the endpoint’s secret (Standard Webhooks) and retries failures with backoff.',
      ),
      this.#secret,
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el('tr', {}, ...['Receiver', 'Events', 'Status', 'Created', 'Actions'].map((h) => el('th', {}, h))),
          ),
          this.#rows,
        ),
      ),
      this.#empty,
      el('h3', {}, 'Add an endpoint'),
      form,
      this.#error,
    );
    this.#rows.addEventListener('click', (e) => {
      const button = (e.target as Element | null)?.closest?.('button[data-action]');
      const id = button?.closest('tr')?.dataset['endpointId'];
      const endpoint = this.#shown.find((x) => x.id === id);
      if (button instanceof HTMLButtonElement && endpoint !== undefined && !button.disabled)
        handlers.act(button.dataset['action'] as EndpointAction, endpoint, button);
    });
  }

  /** Lists the endpoints. */
  render(endpoints: readonly WebhookEndpointView[]): void {
    this.#shown = endpoints;
    this.#rows.replaceChildren(...endpoints.map(endpointRow));
    this.#empty.hidden = endpoints.length > 0;
  }

  /** Shows a message under the form (a refusal from the API, a failed read), or clears it. */
  showError(message: string | undefined): void {
    this.#error.hidden = message === undefined;
    setText(this.#error, message ?? '');
  }

  /** Shows a secret once, for the endpoint at `url`, until the user dismisses it or leaves the page. */
  showSecret(url: string, secret: string, note: string): void {
    const value = el('input', { type: 'text', readonly: '', value: secret, 'data-testid': 'secret-value' });
    value.addEventListener('focus', () => value.select());
    const copy = el('button', { type: 'button', 'data-testid': 'secret-copy' }, 'Copy secret');
    copy.addEventListener('click', () => this.handlers.copy(secret, copy));
    const done = el('button', { type: 'button', class: 'ghost', 'data-testid': 'secret-dismiss' }, 'I have saved it');
    done.addEventListener('click', () => this.hideSecret());
    this.#secret.replaceChildren(
      el('p', {}, el('strong', {}, 'Signing secret for '), el('code', {}, url)),
      el('div', { class: 'row' }, value, copy, done),
      el('p', { class: 'warning', 'data-testid': 'secret-warning' }, `Copy it now: you will not see it again. ${note}`),
    );
    this.#secret.hidden = false;
  }

  /** Forgets the secret shown (dismissed, signed out, page left). */
  hideSecret(): void {
    this.#secret.replaceChildren();
    this.#secret.hidden = true;
  }

  /** Clears the page (sign-out). */
  clear(): void {
    this.hideSecret();
    this.render([]);
    this.showError(undefined);
    this.#url.value = '';
    this.#description.value = '';
  }

  async #send(): Promise<void> {
    const checked = this.#events.filter((b) => b.checked).map((b) => b.value);
    const problem = endpointFormProblem(this.#url.value, checked);
    this.showError(problem);
    if (problem !== undefined) return;
    const events = eventsToRequest(checked);
    const description = this.#description.value.trim();
    this.#submit.disabled = true;
    try {
      await this.handlers.create({
        url: this.#url.value.trim(),
        ...(events !== undefined ? { events } : {}),
        ...(description ? { description } : {}),
      });
      this.#url.value = '';
      this.#description.value = '';
    } catch (err) {
      this.showError(err instanceof Error ? err.message : String(err));
    } finally {
      this.#submit.disabled = false;
    }
  }
}

function endpointRow(e: WebhookEndpointView): HTMLTableRowElement {
  const button = (action: EndpointAction, label: string) =>
    el(
      'button',
      {
        type: 'button',
        class: `ghost action action-${action}`,
        'data-action': action,
        'data-testid': `endpoint-${action}`,
      },
      label,
    );
  const status = el('span', { class: `badge endpoint-${e.status}`, 'data-testid': 'endpoint-status' }, e.status);
  const reason =
    e.status === 'disabled' && e.disabledReason
      ? el('div', { class: 'muted small', 'data-testid': 'endpoint-disabled-reason' }, e.disabledReason)
      : null;
  return el(
    'tr',
    { 'data-testid': 'endpoint-row', 'data-endpoint-id': e.id, 'data-status': e.status },
    el(
      'td',
      { class: 'url' },
      el('code', {}, e.url),
      e.description ? el('div', { class: 'muted small' }, e.description) : null,
    ),
    el('td', {}, endpointEventsText(e)),
    el('td', {}, status, reason),
    el('td', { class: 'created' }, formatTimestamp(e.createdAt)),
    el(
      'td',
      { class: 'actions' },
      e.status === 'disabled' ? button('enable', 'Enable') : null,
      button('rotate', 'Rotate secret'),
      button('delete', 'Delete'),
    ),
  );
}

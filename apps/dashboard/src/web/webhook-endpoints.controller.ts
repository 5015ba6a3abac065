import { ApiError, type ApiClient, type WebhookEndpointView } from '@kiln/client';
import { copyWithFeedback } from './clipboard.js';
import { formatTimestamp } from './job-detail.format.js';
import { SnapshotLoader } from './snapshot-loader.js';
import type { EndpointAction, NewWebhookEndpoint, WebhookEndpointsView } from './webhook-endpoints.view.js';

/**
 * Drives the webhook endpoints page for one signed-in session: lists the endpoints when the page
 * opens, creates, rotates, deletes (after a confirmation) and re-enables them, and hands each new
 * secret to the view to show once.
 */
export class WebhookEndpointsController {
  readonly #loader: SnapshotLoader;

  constructor(
    private readonly api: ApiClient,
    private readonly view: WebhookEndpointsView,
    private readonly onUnauthorized: () => void,
  ) {
    this.#loader = new SnapshotLoader(
      async () => this.view.render(await this.api.listWebhookEndpoints()),
      (err) => this.#failed('Could not read the endpoints', err),
    );
  }

  /** Shows the page: reads the endpoints. */
  open(): Promise<void> {
    return this.#loader.request();
  }

  /** Leaves the page: a secret still on screen is dropped. */
  close(): void {
    this.view.hideSecret();
  }

  /** Creates an endpoint and shows its secret; a refusal is thrown for the form to show. */
  async create(endpoint: NewWebhookEndpoint): Promise<void> {
    try {
      const created = await this.api.createWebhookEndpoint(endpoint);
      this.view.showSecret(created.url, created.secret, 'Receivers verify each delivery with it.');
      this.view.showError(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.onUnauthorized();
      throw err;
    }
    await this.#loader.request();
  }

  /** One row button: rotate (the new secret shown once), delete (confirmed first), enable. */
  async act(action: EndpointAction, endpoint: WebhookEndpointView, button: HTMLButtonElement): Promise<void> {
    if (action === 'delete' && !window.confirm(`Delete the webhook endpoint ${endpoint.url}? It gets no more events.`))
      return;
    button.disabled = true;
    try {
      if (action === 'rotate') {
        const rotated = await this.api.rotateWebhookSecret(endpoint.id);
        this.view.showSecret(
          endpoint.url,
          rotated.secret,
          `The previous secret also signs until ${formatTimestamp(rotated.previousSecretExpiresAt)}.`,
        );
      } else if (action === 'delete') {
        await this.api.deleteWebhookEndpoint(endpoint.id);
      } else {
        await this.api.enableWebhookEndpoint(endpoint.id);
      }
      this.view.showError(undefined);
      await this.#loader.request();
    } catch (err) {
      this.#failed(`Could not ${action === 'rotate' ? 'rotate the secret of' : action} ${endpoint.url}`, err);
    } finally {
      button.disabled = false;
    }
  }

  /** Copies a secret, saying so on the button. */
  copy(text: string, button: HTMLButtonElement): void {
    void copyWithFeedback(text, button);
  }

  #failed(what: string, err: unknown): void {
    if (err instanceof ApiError && err.status === 401) {
      this.onUnauthorized();
      return;
    }
    this.view.showError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

import {
  nextRetryDelay,
  signingSecrets,
  signWebhook,
  webhookRetryDelay,
  type WebhookDelivery,
  type WebhookDeliveryRepository,
  type WebhookEndpoint,
  type WebhookEndpointRepository,
  type WebhookJobData,
} from '@kiln/customer-webhooks';
import type { Logger } from '@kiln/logger';
import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import type { WebhookMetrics } from './webhook-metrics.js';
import type { SendResult, WebhookSender } from './webhook-sender.js';

/** The delivery rules from the worker's config (KILN_WEBHOOK_*). */
interface DeliveryRules {
  /** KILN_WEBHOOK_RETRY_H in ms: no try is made later than this after a series began. */
  retryWindowMs: number;
  /** KILN_WEBHOOK_RETRY_BASE_MS: the wait before the first retry. */
  retryBaseMs: number;
  /** KILN_WEBHOOK_DISABLE_AFTER_H in ms: an endpoint failing this long is disabled. */
  disableAfterMs: number;
}

/** What a {@link WebhookDeliveryHandler} works with. */
export interface WebhookDeliveryDeps {
  endpoints: Pick<WebhookEndpointRepository, 'get' | 'recordAttempt'>;
  deliveries: Pick<WebhookDeliveryRepository, 'get' | 'save'>;
  sender: Pick<WebhookSender, 'send'>;
  metrics: WebhookMetrics;
  rules: DeliveryRules;
  logger: Logger;
  /** Default `Date.now`. */
  clock?: () => number;
}

/**
 * BullMQ's backoff strategy for webhook deliveries: the same jittered exponential wait the handler
 * recorded as the delivery's next try (both derive it from the series' BullMQ id).
 */
export function webhookBackoffStrategy(baseMs: number) {
  return (attemptsMade: number, _type?: string, _err?: Error, job?: { id?: string | undefined }): number =>
    webhookRetryDelay(attemptsMade, baseMs, job?.id ?? '');
}

/**
 * Makes one attempt at a delivery (BullMQ's processor of the `webhooks` queue): signs the stored
 * body with the endpoint's secrets, sends it, records the attempt and the endpoint's health, and
 * then succeeds, throws for BullMQ to retry after the backoff, or throws UnrecoverableError once no
 * try is left. A delivery whose record, endpoint or job is gone ends quietly.
 */
export class WebhookDeliveryHandler {
  private readonly clock: () => number;

  constructor(private readonly deps: WebhookDeliveryDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** One attempt of the series `bull` stands for. */
  async process(bull: BullJob<WebhookJobData>): Promise<void> {
    const delivery = await this.deps.deliveries.get(bull.data.deliveryId);
    const log = this.deps.logger.child({ deliveryId: bull.data.deliveryId });
    if (!delivery) return log.info('webhook delivery is gone (expired); nothing sent');
    const endpoint = await this.deps.endpoints.get(delivery.endpointId);
    if (!endpoint || endpoint.status === 'disabled') {
      const why = endpoint ? `the endpoint is disabled: ${endpoint.disabledReason ?? ''}` : 'the endpoint was deleted';
      await this.finish(delivery, { ok: false, statusCode: null, durationMs: 0, error: why, refused: false }, null);
      this.deps.metrics.deliveries.inc({ outcome: 'failed' });
      return log.info({ reason: why }, 'webhook delivery dropped');
    }
    const at = this.clock();
    const headers = signWebhook(delivery.webhookId, new Date(at), delivery.body, signingSecrets(endpoint, at));
    const result = await this.deps.sender.send(delivery.url, delivery.body, { ...headers });
    this.deps.metrics.duration.observe(result.durationMs / 1000);
    const disabled = await this.health(endpoint, result, at, log);
    const delay = result.ok || result.refused || disabled ? null : this.nextDelay(delivery, bull, at);
    await this.finish(delivery, result, delay === null ? null : at + delay, at);
    this.deps.metrics.deliveries.inc({ outcome: outcomeOf(result, delay) });
    if (result.ok) return;
    log.info(
      { error: result.error, statusCode: result.statusCode, retryInMs: delay },
      'webhook delivery attempt failed',
    );
    if (delay === null) throw new UnrecoverableError(result.error ?? 'delivery failed');
    throw new Error(result.error ?? 'delivery failed');
  }

  /** The wait before the next try of this series, or null when the retry window is over. */
  private nextDelay(delivery: WebhookDelivery, bull: BullJob<WebhookJobData>, now: number): number | null {
    return nextRetryDelay({
      failures: bull.attemptsMade + 1,
      seriesStartedAt: Date.parse(delivery.seriesStartedAt),
      now,
      baseMs: this.deps.rules.retryBaseMs,
      windowMs: this.deps.rules.retryWindowMs,
      seed: bull.id ?? '',
    });
  }

  /** Records the attempt against the endpoint's failure streak; true when that disabled the endpoint. */
  private async health(endpoint: WebhookEndpoint, result: SendResult, at: number, log: Logger): Promise<boolean> {
    const verdict = await this.deps.endpoints.recordAttempt(
      endpoint,
      { ok: result.ok, error: result.error, at },
      this.deps.rules.disableAfterMs,
    );
    if (verdict.disable) log.warn({ endpointId: endpoint.id, reason: verdict.disable }, 'webhook endpoint disabled');
    return verdict.disable !== null;
  }

  /** Stores the attempt; `nextAt` null ends the series (succeeded or failed). */
  private async finish(
    delivery: WebhookDelivery,
    result: SendResult,
    nextAt: number | null,
    at = this.clock(),
  ): Promise<void> {
    const attempt = {
      at: new Date(at).toISOString(),
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error,
    };
    const status = result.ok ? 'succeeded' : nextAt === null ? 'failed' : 'pending';
    await this.deps.deliveries.save({
      ...delivery,
      status,
      attempts: [...delivery.attempts, attempt],
      nextAttemptAt: nextAt === null ? null : new Date(nextAt).toISOString(),
    });
  }
}

function outcomeOf(result: SendResult, delay: number | null): 'succeeded' | 'failed' | 'retrying' | 'refused' {
  if (result.ok) return 'succeeded';
  if (result.refused) return 'refused';
  return delay === null ? 'failed' : 'retrying';
}

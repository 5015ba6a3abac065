import type { WebhookDelivery } from './webhook-delivery.repository.js';

/**
 * A delivery sent again: a new attempt series (its retry window starting now), same `webhook-id`
 * and body, the earlier attempts kept in its history.
 */
export function replayed(delivery: WebhookDelivery, now: number): WebhookDelivery {
  const at = new Date(now).toISOString();
  return { ...delivery, status: 'pending', series: delivery.series + 1, seriesStartedAt: at, nextAttemptAt: at };
}

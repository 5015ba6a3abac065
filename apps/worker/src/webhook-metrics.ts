import { Counter, Histogram, type Registry } from 'prom-client';

/** `kiln_webhook_deliveries_total{outcome}` and `kiln_webhook_delivery_duration_seconds` on the worker's registry. */
export class WebhookMetrics {
  readonly deliveries: Counter<'outcome'>;
  readonly duration: Histogram;

  constructor(registry: Registry) {
    this.deliveries = new Counter({
      name: 'kiln_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (retrying: failed, another try is scheduled; failed: no more tries; refused: the address policy refused the receiver)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'kiln_webhook_delivery_duration_seconds',
      help: 'Wall time of one webhook delivery attempt, until the receiver answered or the attempt failed',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    for (const outcome of ['succeeded', 'failed', 'retrying', 'refused'] as const) this.deliveries.inc({ outcome }, 0);
  }
}

import type { ApplyResult, OccupancyEventName } from '@kiln/realtime';
import { Counter, type Registry } from 'prom-client';

/** `kiln_occupancy_events_total{event, result}`: what each webhook event did to the set. */
export class OccupancyMetrics {
  readonly events: Counter<'event' | 'result'>;
  readonly rejected: Counter<'reason'>;
  readonly repairs: Counter<'event'>;

  constructor(registry: Registry) {
    this.events = new Counter({
      name: 'kiln_occupancy_events_total',
      help: 'Occupancy webhook events by event and result (applied, stale, duplicate)',
      labelNames: ['event', 'result'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'kiln_webhooks_rejected_total',
      help: 'Webhook requests refused, by reason (signature, body)',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.repairs = new Counter({
      name: 'kiln_occupancy_repairs_total',
      help: 'Occupancy fixed by the repair loop from Pusher\'s channel list (a webhook was missed), by event',
      labelNames: ['event'],
      registers: [registry],
    });
    for (const event of ['channel_occupied', 'channel_vacated'] as const) this.repairs.inc({ event }, 0);
    for (const event of ['channel_occupied', 'channel_vacated'] as const)
      for (const result of ['applied', 'stale', 'duplicate'] as const) this.events.inc({ event, result }, 0);
  }

  count(event: OccupancyEventName, result: ApplyResult): void {
    this.events.inc({ event, result });
  }
}

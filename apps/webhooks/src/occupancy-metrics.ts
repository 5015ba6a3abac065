import type { OccupancyEventName } from '@kiln/realtime';
import type { OccupancyEventResult } from './occupancy.service.js';
import { Counter, type Registry } from 'prom-client';

/** `kiln_occupancy_events_total{event, result}`: what each webhook event did to the set. */
export class OccupancyMetrics {
  readonly events: Counter<'event' | 'result'>;
  readonly rejected: Counter<'reason'>;
  readonly repairs: Counter<'event'>;

  constructor(registry: Registry) {
    this.events = new Counter({
      name: 'kiln_occupancy_events_total',
      help: 'Occupancy webhook events by event and result (applied; stale: older than the last applied or the replay window; duplicate; ignored: not a Kiln channel)',
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
      help: "Occupancy fixed by the repair loop from Pusher's channel list (a webhook was missed), by event",
      labelNames: ['event'],
      registers: [registry],
    });
    for (const event of ['channel_occupied', 'channel_vacated'] as const) this.repairs.inc({ event }, 0);
    for (const event of ['channel_occupied', 'channel_vacated'] as const)
      for (const result of ['applied', 'stale', 'duplicate', 'ignored'] as const) this.events.inc({ event, result }, 0);
  }

  count(event: OccupancyEventName, result: OccupancyEventResult): void {
    this.events.inc({ event, result });
  }
}

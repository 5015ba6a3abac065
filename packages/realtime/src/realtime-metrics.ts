import { Counter, type Registry } from 'prom-client';

export type EventOutcome = 'published' | 'gated' | 'coalesced' | 'failed';

/**
 * The realtime counters every publisher exposes. Names and labels are public contracts
 * (ARCHITECTURE §3): dashboards and alerts are built on them.
 */
export class RealtimeMetrics {
  readonly events: Counter<'outcome'>;
  readonly pusherRequests: Counter<'result'>;
  readonly gateFailures: Counter<'action'>;
  readonly oversizeEvents: Counter<'action'>;

  constructor(registry: Registry) {
    this.events = new Counter({
      name: 'kiln_realtime_events_total',
      help: 'Realtime events by outcome: published to Pusher, gated (nobody watching), coalesced, or failed',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.pusherRequests = new Counter({
      name: 'kiln_realtime_pusher_requests_total',
      help: 'HTTP requests made to the Pusher API, by result',
      labelNames: ['result'],
      registers: [registry],
    });
    this.gateFailures = new Counter({
      name: 'kiln_realtime_gate_unavailable_total',
      help: 'Gate decisions Redis could not answer: state changes published anyway (fail_open), progress dropped',
      labelNames: ['action'],
      registers: [registry],
    });
    this.oversizeEvents = new Counter({
      name: 'kiln_realtime_events_oversize_total',
      help: "Events over Pusher's 10 KB limit: sent in their minimal form instead (fallback), or not sent (refused, also counted as failed)",
      labelNames: ['action'],
      registers: [registry],
    });
    // Start every series at zero so rates and "== 0" alerts work before the first event.
    for (const outcome of ['published', 'gated', 'coalesced', 'failed'] as const) this.events.inc({ outcome }, 0);
    for (const result of ['ok', 'error'] as const) this.pusherRequests.inc({ result }, 0);
    for (const action of ['fail_open', 'dropped'] as const) this.gateFailures.inc({ action }, 0);
    for (const action of ['fallback', 'refused'] as const) this.oversizeEvents.inc({ action }, 0);
  }
}

import type { Logger } from '@kiln/logger';
import type { OccupancyGate } from './occupancy-gate.js';
import type { PusherTransport } from './pusher-transport.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

/** Pusher's limit on one event's data. */
export const MAX_EVENT_BYTES = 10 * 1024;

/** What became of one event handed to the publisher. */
export type PublishOutcome = 'published' | 'gated' | 'failed';

/**
 * Publishes events to customer channels only while someone watches them. Nobody watching means
 * no Pusher call at all; a failure is counted and logged, never thrown at the caller, because a
 * dashboard missing an event must not fail an encode (the dashboard re-syncs from the API).
 */
export class GatedPublisher {
  // Events of one channel leave in the order they were handed in.
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly gate: OccupancyGate,
    private readonly transport: PusherTransport,
    private readonly metrics: RealtimeMetrics,
    private readonly logger: Logger,
  ) {}

  /** Publishes one event to one channel if the channel is occupied. */
  publish(channel: string, name: string, data: unknown): Promise<PublishOutcome> {
    const prev = this.tails.get(channel) ?? Promise.resolve();
    const next = prev.then(() => this.publishNow(channel, name, data));
    this.tails.set(channel, next);
    void next.finally(() => {
      if (this.tails.get(channel) === next) this.tails.delete(channel);
    });
    return next;
  }

  private async publishNow(channel: string, name: string, data: unknown): Promise<PublishOutcome> {
    let open: boolean;
    try {
      open = await this.gate.isOccupied(channel);
    } catch (err) {
      this.logger.warn({ err, channel }, 'occupancy gate unavailable; event dropped');
      this.metrics.events.inc({ outcome: 'failed' });
      return 'failed';
    }
    if (!open) {
      this.metrics.events.inc({ outcome: 'gated' });
      return 'gated';
    }
    const json = JSON.stringify(data);
    if (Buffer.byteLength(json) > MAX_EVENT_BYTES) {
      this.logger.error({ channel, event: name, bytes: Buffer.byteLength(json) }, 'event larger than Pusher allows; not sent');
      this.metrics.events.inc({ outcome: 'failed' });
      return 'failed';
    }
    try {
      await this.transport.triggerBatch([{ channel, name, data: json }]);
      this.metrics.events.inc({ outcome: 'published' });
      return 'published';
    } catch (err) {
      this.logger.warn({ err, channel, event: name }, 'Pusher publish failed');
      this.metrics.events.inc({ outcome: 'failed' });
      return 'failed';
    }
  }

  /** Resolves when every event handed in so far has been published, gated or failed. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}

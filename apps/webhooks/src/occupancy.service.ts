import { SYNC_EVENT } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { ApplyResult, GatedPublisher, OccupancyEvent, OccupancyRepository } from '@kiln/realtime';
import type { OccupancyMetrics } from './occupancy-metrics.js';

/**
 * Applies verified webhook events to the occupied set, in order, and tells a channel that just
 * became occupied to re-read its snapshot (`sync`), after the set changed so no event between
 * the snapshot and the gate opening is lost.
 */
export class OccupancyService {
  constructor(
    private readonly occupancy: OccupancyRepository,
    private readonly publisher: GatedPublisher,
    private readonly metrics: OccupancyMetrics,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Applies every event of one webhook (or one repair pass) in order; returns each result. */
  async applyAll(events: OccupancyEvent[], source: 'webhook' | 'repair' = 'webhook'): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    for (const event of events) {
      const result = await this.occupancy.apply(event);
      if (source === 'webhook') this.metrics.count(event.name, result);
      else if (result === 'applied') this.metrics.repairs.inc({ event: event.name });
      results.push(result);
      this.logger.debug({ channel: event.channel, event: event.name, timeMs: event.timeMs, result }, 'occupancy event');
      if (source === 'repair' && result === 'applied') this.logger.info({ channel: event.channel, event: event.name }, 'occupancy repaired');
      if (result === 'applied' && event.name === 'channel_occupied') {
        void this.publisher.publish(event.channel, SYNC_EVENT, { at: this.clock().toISOString() });
      }
    }
    return results;
  }
}

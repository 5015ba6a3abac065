import { isKilnChannel, SYNC_EVENT } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { ApplyResult, GatedPublisher, OccupancyEvent, OccupancyRepository } from '@kiln/realtime';
import type { OccupancyMetrics } from './occupancy-metrics.js';
import { DEFAULT_PUSHER_REPLAY_WINDOW_S } from './replay-window.js';

/** What one event did: applied, stale (older than the last applied or than the replay window), duplicate, or ignored (not a Kiln channel). */
export type OccupancyEventResult = ApplyResult | 'ignored';

/** What an {@link OccupancyService} works with. */
export interface OccupancyServiceDeps {
  occupancy: OccupancyRepository;
  /** Sends `sync` to a channel that just became occupied. */
  publisher: GatedPublisher;
  metrics: OccupancyMetrics;
  logger: Logger;
  /** Default `new Date()`. */
  clock?: () => Date;
  /** Webhooks older than this are stale (default KILN_PUSHER_REPLAY_WINDOW_S's default). */
  replayWindowMs?: number;
}

/**
 * Applies verified webhook events to the occupied set, in order, and tells a channel that just
 * became occupied to re-read its snapshot (`sync`), after the set changed so no event between
 * the snapshot and the gate opening is lost. Events for channels outside Kiln's prefixes are
 * ignored (no Redis write, no `sync`), and a webhook older than the replay window is stale
 * whatever Redis remembers about its channel.
 */
export class OccupancyService {
  private readonly occupancy: OccupancyRepository;
  private readonly publisher: GatedPublisher;
  private readonly metrics: OccupancyMetrics;
  private readonly logger: Logger;
  private readonly opts: { clock?: () => Date; replayWindowMs?: number };

  constructor(deps: OccupancyServiceDeps) {
    const { occupancy, publisher, metrics, logger, ...opts } = deps;
    this.occupancy = occupancy;
    this.publisher = publisher;
    this.metrics = metrics;
    this.logger = logger;
    this.opts = opts;
  }

  private now(): Date {
    return this.opts.clock?.() ?? new Date();
  }

  /** Applies every event of one webhook (or one repair pass) in order; returns each result. */
  async applyAll(events: OccupancyEvent[], source: 'webhook' | 'repair' = 'webhook'): Promise<OccupancyEventResult[]> {
    const results: OccupancyEventResult[] = [];
    for (const event of events) {
      const result = await this.applyOne(event, source);
      if (source === 'webhook') this.metrics.count(event.name, result);
      else if (result === 'applied') this.metrics.repairs.inc({ event: event.name });
      results.push(result);
      this.logger.debug({ channel: event.channel, event: event.name, timeMs: event.timeMs, result }, 'occupancy event');
      if (source === 'repair' && result === 'applied')
        this.logger.info({ channel: event.channel, event: event.name }, 'occupancy repaired');
      if (result === 'applied' && event.name === 'channel_occupied') {
        void this.publisher.publish(event.channel, SYNC_EVENT, { at: this.now().toISOString() });
      }
    }
    return results;
  }

  private async applyOne(event: OccupancyEvent, source: 'webhook' | 'repair'): Promise<OccupancyEventResult> {
    if (!isKilnChannel(event.channel)) return 'ignored';
    // Repairs are stamped with the time of their own read; only webhooks can be replays.
    const ageMs = this.now().getTime() - event.timeMs;
    if (source === 'webhook' && ageMs > (this.opts.replayWindowMs ?? DEFAULT_PUSHER_REPLAY_WINDOW_S * 1000)) {
      this.logger.info(
        { channel: event.channel, event: event.name, ageMs },
        'webhook older than the replay window; not applied',
      );
      return 'stale';
    }
    return this.occupancy.apply(event);
  }
}

import { isKilnChannel, SYNC_EVENT } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { ApplyResult, GatedPublisher, OccupancyEvent, OccupancyRepository } from '@kiln/realtime';
import type { OccupancyMetrics } from './occupancy-metrics.js';
import { DEFAULT_PUSHER_REPLAY_WINDOW_S } from './replay-window.js';

/**
 * What one event did: applied, stale (older than the last applied or than the replay window),
 * duplicate, ignored (not a Kiln channel), or deferred (a vacate, applied after the vacated delay).
 */
export type OccupancyEventResult = ApplyResult | 'ignored' | 'deferred';

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
  /** A vacated webhook is applied this long after it arrived (KILN_VACATED_DELAY_MS; default 0, at once). */
  vacatedDelayMs?: number;
}

/** A vacate waiting out the delay: its timer, and what applies it (now, on shutdown). */
interface DeferredVacate {
  timer: NodeJS.Timeout;
  apply: () => Promise<void>;
}

/**
 * Applies verified webhook events to the occupied set, in order, and tells a channel that just
 * became occupied to re-read its snapshot (`sync`), after the set changed so no event between
 * the snapshot and the gate opening is lost. Events for channels outside Kiln's prefixes are
 * ignored (no Redis write, no `sync`), and a webhook older than the replay window is stale
 * whatever Redis remembers about its channel. A vacate from a webhook waits out the vacated delay
 * first: the ordered script then finds any re-occupation that arrived meanwhile newer, and the
 * vacate changes nothing (a page reload does not close the gate).
 */
export class OccupancyService {
  private readonly occupancy: OccupancyRepository;
  private readonly publisher: GatedPublisher;
  private readonly metrics: OccupancyMetrics;
  private readonly logger: Logger;
  private readonly opts: { clock?: () => Date; replayWindowMs?: number; vacatedDelayMs?: number };
  private readonly deferred = new Set<DeferredVacate>();

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
    const delayMs = this.opts.vacatedDelayMs ?? 0;
    for (const event of events) {
      if (source === 'webhook' && event.name === 'channel_vacated' && delayMs > 0 && isKilnChannel(event.channel)) {
        this.defer(event, delayMs);
        results.push('deferred');
      } else results.push(await this.applyCounted(event, source));
    }
    return results;
  }

  /** Applies every vacate still waiting out its delay, now (shutdown). */
  async flushDeferred(): Promise<void> {
    const waiting = [...this.deferred];
    for (const d of waiting) clearTimeout(d.timer);
    await Promise.all(waiting.map((d) => d.apply()));
  }

  private defer(event: OccupancyEvent, delayMs: number): void {
    const entry: DeferredVacate = {
      timer: setTimeout(() => void entry.apply(), delayMs),
      apply: async () => {
        if (!this.deferred.delete(entry)) return;
        await this.applyCounted(event, 'webhook').catch((err: unknown) =>
          this.logger.warn({ err, channel: event.channel }, 'deferred vacate not applied; the repair will'),
        );
      },
    };
    this.deferred.add(entry);
  }

  private async applyCounted(event: OccupancyEvent, source: 'webhook' | 'repair'): Promise<OccupancyEventResult> {
    const result = await this.applyOne(event, source);
    if (source === 'webhook') this.metrics.count(event.name, result);
    else if (result === 'applied') this.metrics.repairs.inc({ event: event.name });
    this.logger.debug({ channel: event.channel, event: event.name, timeMs: event.timeMs, result }, 'occupancy event');
    if (source === 'repair' && result === 'applied')
      this.logger.info({ channel: event.channel, event: event.name }, 'occupancy repaired');
    if (result === 'applied' && event.name === 'channel_occupied') {
      void this.publisher.publish(event.channel, SYNC_EVENT, { at: this.now().toISOString() });
    }
    return result;
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

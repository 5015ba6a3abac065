import {
  CUSTOMER_CHANNEL_PREFIX,
  customerChannel,
  customerIdFromChannel,
  QUEUE_EVENT,
  type QueueEventPayload,
  type RedisClient,
} from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { GatedPublisher, OccupancyGate } from '@kiln/realtime';
import type { FairQueue, QueueView } from '@kiln/scheduler';

/** How many queued jobs a `queue.updated` event lists (≈ 130 bytes each: well under 10 KB). */
const PLACES_PER_EVENT = 50;
/** Places are sent again after this many intervals even when the line did not move: ETAs age while a long job runs. */
const REFRESH_INTERVALS = 10;

/** What a {@link QueueWatch} works with. */
export interface QueueWatchDeps {
  redis: RedisClient;
  line: FairQueue;
  view: QueueView;
  /** The presence gate, which also lists the watched channels from memory (the occupancy mirror). */
  gate: OccupancyGate & { occupiedWithPrefix(prefix: string): string[] | undefined };
  publisher: GatedPublisher;
  logger: Logger;
  intervalMs: number;
}

/**
 * Tells watched customers where their queued jobs stand: every interval, when the line changed
 * since the last look (and every {@link REFRESH_INTERVALS} intervals anyway, as ETAs age), each customer with jobs in line whose channel is occupied gets a
 * `queue.updated` event with the places of its first {@link PLACES_PER_EVENT} queued jobs. One
 * API process does it per interval (a Redis lock), unwatched channels cost nothing (the gate is
 * read first, from memory), and the publisher's progress coalescing keeps it to one event per
 * channel per interval.
 */
export class QueueWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastVersion: string | undefined;
  private lastSentAt = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: QueueWatchDeps) {}

  /** Looks every interval until {@link stop}. */
  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.tick()
        .then(() => undefined)
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not send queue places'))
        .finally(() => (this.running = undefined));
    }, this.deps.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One look: sends the places of every watched customer with jobs in line, if the line changed. */
  async tick(): Promise<number> {
    // Nobody watching any customer channel: not even a Redis read.
    const watched = this.deps.gate.occupiedWithPrefix(CUSTOMER_CHANNEL_PREFIX);
    if (watched?.length === 0) return 0;
    const version = await this.deps.line.version();
    const stale = Date.now() - this.lastSentAt >= REFRESH_INTERVALS * this.deps.intervalMs;
    if (version === this.lastVersion && !stale) return 0;
    const lock = await this.deps.redis.set(
      `${this.deps.line.keyPrefix}:queue-watch`,
      '1',
      'PX',
      this.deps.intervalMs,
      'NX',
    );
    if (lock !== 'OK') return 0;
    this.lastVersion = version;
    this.lastSentAt = Date.now();
    let sent = 0;
    const customers = watched
      ? watched.flatMap((channel) => customerIdFromChannel(channel) ?? [])
      : await this.customersInLine();
    for (const customerId of customers) {
      const channel = customerChannel(customerId);
      if (!watched && !(await this.deps.gate.isOccupied(channel))) continue;
      const jobs = await this.deps.view.forCustomer(customerId, PLACES_PER_EVENT);
      if (jobs.length === 0) continue;
      const payload: QueueEventPayload = { jobs, at: new Date().toISOString() };
      void this.deps.publisher.publish(channel, QUEUE_EVENT, payload, { key: `queue:${customerId}`, kind: 'progress' });
      sent++;
    }
    return sent;
  }

  /** Customers with jobs waiting or handed out and not yet started (when the mirror cannot say who watches). */
  private async customersInLine(): Promise<string[]> {
    const customers = new Set((await this.deps.line.byCustomer()).map((c) => c.customerId));
    for (const pool of await this.deps.line.pools())
      for (const jobId of await this.deps.line.handed(pool)) {
        const state = await this.deps.line.state(jobId);
        if (state) customers.add(state.customerId);
      }
    return [...customers];
  }
}

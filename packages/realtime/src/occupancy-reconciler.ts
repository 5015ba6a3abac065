import type { Logger } from '@kiln/logger';
import type { OccupancyEvent, OccupancyRepository } from './occupancy.repository.js';

/** Where the reconciler learns which channels Pusher considers occupied right now. */
export interface ChannelLister {
  occupiedChannels(prefix: string): Promise<string[]>;
}

/** What one repair pass changed. */
export interface RepairResult {
  opened: string[];
  closed: string[];
}

/** What an {@link OccupancyReconciler} reads from and writes through. */
export interface OccupancyReconcilerDeps {
  lister: ChannelLister;
  repo: OccupancyRepository;
  /** Applies repair events (the webhooks app routes them through its service, so `sync` goes out). */
  apply: (events: OccupancyEvent[]) => Promise<unknown>;
  /** Only channels under these prefixes are compared (customer and job channels). */
  prefixes: readonly string[];
  logger: Logger;
  /** Stamps repair events with the time the read started. */
  now?: () => number;
}

/**
 * Repairs the occupied set from Pusher's own view (`GET /channels?filter_by_prefix=`), because
 * webhooks can be missed (soketi never retries). Each fix is applied as an event stamped with the
 * time the read started, through the same ordered script as webhooks: a webhook newer than the
 * read wins, so a repair never overrules fresher news.
 */
export class OccupancyReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RepairResult | undefined> | undefined;

  private readonly lister: ChannelLister;
  private readonly repo: OccupancyRepository;
  private readonly apply: (events: OccupancyEvent[]) => Promise<unknown>;
  private readonly prefixes: readonly string[];
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(deps: OccupancyReconcilerDeps) {
    this.lister = deps.lister;
    this.repo = deps.repo;
    this.apply = deps.apply;
    this.prefixes = deps.prefixes;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
  }

  /**
   * One pass: read Pusher's channels and the set, then fix the differences both ways. A channel
   * opened by an authorization lease counts as stored: Pusher listing it confirms it, Pusher not
   * listing it closes it (unless the lease was granted after the read began: the script keeps it).
   */
  async reconcileOnce(): Promise<RepairResult> {
    const readAt = this.now();
    const [lists, stored] = await Promise.all([
      Promise.all(this.prefixes.map((prefix) => this.lister.occupiedChannels(prefix))),
      this.repo.snapshot(readAt),
    ]);
    const live = lists.flat();
    const liveSet = new Set(live);
    const inScope = (c: string) => this.prefixes.some((prefix) => c.startsWith(prefix));
    const members = new Set(stored.members);
    const storedSet = new Set([...stored.members, ...stored.leases.keys()].filter(inScope));
    const opened = live.filter((c) => !members.has(c));
    const closed = [...storedSet].filter((c) => !liveSet.has(c));
    const events: OccupancyEvent[] = [
      ...opened.map((channel) => ({ name: 'channel_occupied' as const, channel, timeMs: readAt })),
      ...closed.map((channel) => ({ name: 'channel_vacated' as const, channel, timeMs: readAt })),
    ];
    if (events.length > 0) {
      await this.apply(events);
      this.logger.info({ opened, closed }, 'occupancy repaired from Pusher channel list');
    }
    return { opened, closed };
  }

  /** Runs a pass every `intervalMs` (and one now); passes never overlap. */
  start(intervalMs: number): void {
    const tick = () => {
      this.running ??= this.reconcileOnce()
        .catch((err: unknown) => {
          this.logger.warn({ err }, 'occupancy repair failed; will try again');
          return undefined;
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

import type { Logger } from '@kiln/logger';
import type { RedisClient } from '@kiln/jobs';
import type { OccupancyGate } from './occupancy-gate.js';
import type { OccupancyRepository } from './occupancy.repository.js';

/** How the mirror answered a gate decision: from memory, from Redis, or not at all. */
export type GateSource = 'memory' | 'redis';

/** What an {@link OccupancyMirror} reads and listens on. */
export interface OccupancyMirrorDeps {
  repo: OccupancyRepository;
  /** A connection of its own: once subscribed, it can run no other command. */
  subscriber: RedisClient;
  logger: Logger;
  /** How often the whole set is re-read even while subscribed (default 30 s). */
  refreshIntervalMs?: number;
}

/**
 * A publisher's in-memory copy of the occupied set and of the authorization leases, so a gate
 * decision costs no Redis round trip.
 * It subscribes to the webhooks app's change messages, then reads the whole set (changes that
 * arrive during that read are replayed on top of it, so none is lost), and re-reads it on every
 * reconnect and periodically. While the subscription is down it is not trusted and decisions fall
 * back to SISMEMBER.
 */
export class OccupancyMirror implements OccupancyGate {
  private readonly members = new Set<string>();
  /** Channels opened by an authorization, not yet confirmed or closed: channel → when the lease ends. */
  private readonly leases = new Map<string, number>();
  private trusted = false;
  private refreshing: Promise<void> | undefined;
  private duringRefresh: string[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Decisions answered from memory and from Redis since start (for metrics and tests). */
  readonly decisions = { memory: 0, redis: 0 };

  private readonly repo: OccupancyRepository;
  private readonly subscriber: RedisClient;
  private readonly logger: Logger;
  private readonly refreshIntervalMs: number;

  constructor(deps: OccupancyMirrorDeps) {
    this.repo = deps.repo;
    this.subscriber = deps.subscriber;
    this.logger = deps.logger;
    this.refreshIntervalMs = deps.refreshIntervalMs ?? 30_000;
  }

  /** Subscribes and loads the set; resolves once the mirror is trusted (or the first attempt failed). */
  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.repo.changesChannel) this.onChange(message);
    });
    // ioredis re-subscribes by itself after a reconnect; the set must be re-read then, since
    // messages published while disconnected are gone.
    this.subscriber.on('ready', () => void this.resync());
    for (const event of ['close', 'end', 'reconnecting'] as const) {
      this.subscriber.on(event, () => {
        if (this.trusted)
          this.logger.warn({ event }, 'occupancy mirror lost its subscription; falling back to SISMEMBER');
        this.trusted = false;
      });
    }
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshIntervalMs);
    this.timer.unref();
    await this.resync();
  }

  /** Whether decisions are currently answered from memory. */
  get isTrusted(): boolean {
    return this.trusted;
  }

  /** The gate decision: memory when trusted, else one SISMEMBER (throws when Redis is down). */
  async isOccupied(channel: string): Promise<boolean> {
    if (this.trusted) {
      this.decisions.memory++;
      return this.has(channel);
    }
    this.decisions.redis++;
    return this.repo.isOccupied(channel);
  }

  /** Synchronous decision for hot paths; undefined when the mirror is not trusted. */
  peek(channel: string): boolean | undefined {
    if (!this.trusted) return undefined;
    this.decisions.memory++;
    return this.has(channel);
  }

  /** Occupied per the webhooks, or leased by an authorization whose lease has not ended. */
  private has(channel: string): boolean {
    if (this.members.has(channel)) return true;
    const leaseEnd = this.leases.get(channel);
    if (leaseEnd === undefined) return false;
    if (leaseEnd > Date.now()) return true;
    this.leases.delete(channel);
    return false;
  }

  /**
   * The occupied channels starting with `prefix`, from memory: what a publisher that works per
   * watched channel iterates (nobody watching costs nothing). Undefined when the mirror is not
   * trusted (the caller then asks Redis channel by channel).
   */
  occupiedWithPrefix(prefix: string): string[] | undefined {
    if (!this.trusted) return undefined;
    const now = Date.now();
    const leased = [...this.leases].filter(([c, end]) => end > now && !this.members.has(c)).map(([c]) => c);
    return [...this.members, ...leased].filter((channel) => channel.startsWith(prefix));
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.trusted = false;
    await this.subscriber.quit().catch(() => undefined);
  }

  private async resync(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.repo.changesChannel);
      await this.refresh();
      if (!this.trusted) this.logger.info({ channels: this.members.size }, 'occupancy mirror in sync');
      this.trusted = this.subscriber.status === 'ready';
    } catch (err) {
      this.trusted = false;
      this.logger.warn({ err }, 'occupancy mirror could not sync; using SISMEMBER until it can');
    }
  }

  /** Re-reads the whole set; changes received meanwhile are applied again afterwards. */
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      this.duringRefresh = [];
      try {
        const { members, leases } = await this.repo.snapshot();
        const replay = this.duringRefresh;
        this.members.clear();
        for (const c of members) this.members.add(c);
        this.leases.clear();
        for (const [c, end] of leases) this.leases.set(c, end);
        for (const m of replay) this.onChange(m);
      } finally {
        this.duringRefresh = undefined;
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private onChange(message: string): void {
    this.duringRefresh?.push(message);
    const [state, ...rest] = message.split(' ');
    const channel = rest.at(-1) ?? '';
    // The webhook (or repair) confirms or closes a lease; a lease that outlives a vacate is re-announced after it.
    if (state === 'occupied' || state === 'vacated') this.leases.delete(channel);
    if (state === 'occupied') this.members.add(channel);
    else if (state === 'vacated') this.members.delete(channel);
    else if (state === 'leased' && rest.length === 2) this.leases.set(channel, Number(rest[0]));
  }
}

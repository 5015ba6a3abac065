import type { RedisClient } from '@kiln/jobs';

export type OccupancyEventName = 'channel_occupied' | 'channel_vacated';
export type ApplyResult = 'applied' | 'stale' | 'duplicate';

export interface OccupancyEvent {
  name: OccupancyEventName;
  channel: string;
  /** When Pusher made the webhook (its `time_ms`); orders events per channel. */
  timeMs: number;
}

// One step per event, so two webhook deliveries racing on different processes cannot interleave.
// A record per channel keeps the time and state last applied: an older event is stale, the same
// event again is a duplicate, and neither touches the set. Equal times with a different state
// apply (Pusher's time_ms has millisecond resolution; the later delivery wins).
const APPLY_SCRIPT = `
local last_t = tonumber(redis.call('HGET', KEYS[2], 't') or '-1')
local last_s = redis.call('HGET', KEYS[2], 's')
local t = tonumber(ARGV[2])
if t < last_t then return 'stale' end
if t == last_t and last_s == ARGV[1] then return 'duplicate' end
local lease_granted = tonumber(redis.call('HGET', KEYS[2], 'lease') or '-1')
if ARGV[1] == 'occupied' then
  redis.call('SADD', KEYS[1], ARGV[3])
else
  redis.call('SREM', KEYS[1], ARGV[3])
end
redis.call('HSET', KEYS[2], 't', ARGV[2], 's', ARGV[1])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('PUBLISH', KEYS[3], ARGV[1] .. ' ' .. ARGV[3])
if lease_granted >= 0 then
  local expires = redis.call('ZSCORE', KEYS[4], ARGV[3])
  if ARGV[1] == 'vacated' and expires and lease_granted > t then
    -- A watcher authorized after this vacate happened: its lease outlives the older news.
    redis.call('PUBLISH', KEYS[3], 'leased ' .. expires .. ' ' .. ARGV[3])
  else
    redis.call('ZREM', KEYS[4], ARGV[3])
    redis.call('HDEL', KEYS[2], 'lease')
  end
end
return 'applied'
`;

// A successful channel authorization opens the gate before Pusher's occupied webhook confirms it:
// a lease until `expiresAt` (never shortened by a later grant), its grant time kept in the
// channel's record so the ordered script above can tell a vacate that came before it.
const LEASE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[2])
local current = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[1]) or '0')
local expires = math.max(current, tonumber(ARGV[3]))
redis.call('ZADD', KEYS[4], expires, ARGV[1])
redis.call('HSET', KEYS[2], 'lease', ARGV[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('PUBLISH', KEYS[3], 'leased ' .. expires .. ' ' .. ARGV[1])
return tostring(expires)
`;
/**
 * The set of occupied channels in Redis, written by the webhooks app and read by publishers.
 * Every change is also published on a pub/sub channel so publishers can mirror the set.
 */
export class OccupancyRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    /** How long a channel's last-applied record is kept; older webhooks than this are not expected. */
    private readonly recordTtlSeconds = 24 * 3600,
  ) {
    this.redis.defineCommand('kilnOccupancyApply', { numberOfKeys: 4, lua: APPLY_SCRIPT });
    this.redis.defineCommand('kilnOccupancyLease', { numberOfKeys: 4, lua: LEASE_SCRIPT });
  }

  get setKey(): string {
    return `${this.prefix}:occupancy:channels`;
  }

  /** The pub/sub channel carrying `occupied <channel>` / `vacated <channel>` messages. */
  get changesChannel(): string {
    return `${this.prefix}:occupancy:changes`;
  }

  /** Channels opened by an authorization and not yet confirmed or closed, scored by when their lease ends. */
  get leasesKey(): string {
    return `${this.prefix}:occupancy:leases`;
  }

  private recordKey(channel: string): string {
    return `${this.prefix}:occupancy:last:${channel}`;
  }

  /** Applies one webhook event if it is not older than the last one applied for its channel. */
  async apply(event: OccupancyEvent): Promise<ApplyResult> {
    const state = event.name === 'channel_occupied' ? 'occupied' : 'vacated';
    const run = (this.redis as unknown as { kilnOccupancyApply: (...a: (string | number)[]) => Promise<ApplyResult> })
      .kilnOccupancyApply;
    return run.call(
      this.redis,
      this.setKey,
      this.recordKey(event.channel),
      this.changesChannel,
      this.leasesKey,
      state,
      event.timeMs,
      event.channel,
      this.recordTtlSeconds,
    );
  }

  /**
   * Opens `channel`'s gate for `ttlMs` on a successful authorization, before (and whether or not)
   * Pusher's occupied webhook arrives; the webhook or a repair pass confirms or closes it. Returns
   * when the lease ends.
   */
  async lease(channel: string, ttlMs: number, now = Date.now()): Promise<number> {
    const run = (this.redis as unknown as { kilnOccupancyLease: (...a: (string | number)[]) => Promise<string> })
      .kilnOccupancyLease;
    const expires = await run.call(
      this.redis,
      this.setKey,
      this.recordKey(channel),
      this.changesChannel,
      this.leasesKey,
      channel,
      now,
      now + ttlMs,
      this.recordTtlSeconds,
    );
    return Number(expires);
  }

  /** Whether a channel is in the set or holds a live lease (the fallback when no mirror can answer). */
  async isOccupied(channel: string, now = Date.now()): Promise<boolean> {
    const [member, leaseEnd] = await Promise.all([
      this.redis.sismember(this.setKey, channel),
      this.redis.zscore(this.leasesKey, channel),
    ]);
    return member === 1 || (leaseEnd !== null && Number(leaseEnd) > now);
  }

  /** Every occupied channel (the webhooks' and repairs' view, leases aside). */
  async members(): Promise<string[]> {
    return this.redis.smembers(this.setKey);
  }

  /** The occupied set and the live leases (channel → when the lease ends), read together. */
  async snapshot(now = Date.now()): Promise<{ members: string[]; leases: Map<string, number> }> {
    const [members, flat] = await Promise.all([
      this.redis.smembers(this.setKey),
      this.redis.zrangebyscore(this.leasesKey, `(${now}`, '+inf', 'WITHSCORES'),
    ]);
    const leases = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) leases.set(flat[i]!, Number(flat[i + 1]));
    return { members, leases };
  }
}

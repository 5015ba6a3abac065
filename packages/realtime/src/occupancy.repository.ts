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
if ARGV[1] == 'occupied' then
  redis.call('SADD', KEYS[1], ARGV[3])
else
  redis.call('SREM', KEYS[1], ARGV[3])
end
redis.call('HSET', KEYS[2], 't', ARGV[2], 's', ARGV[1])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('PUBLISH', KEYS[3], ARGV[1] .. ' ' .. ARGV[3])
return 'applied'
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
    this.redis.defineCommand('kilnOccupancyApply', { numberOfKeys: 3, lua: APPLY_SCRIPT });
  }

  get setKey(): string {
    return `${this.prefix}:occupancy:channels`;
  }

  /** The pub/sub channel carrying `occupied <channel>` / `vacated <channel>` messages. */
  get changesChannel(): string {
    return `${this.prefix}:occupancy:changes`;
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
      state,
      event.timeMs,
      event.channel,
      this.recordTtlSeconds,
    );
  }

  /** Whether a channel is in the set: one SISMEMBER. */
  async isOccupied(channel: string): Promise<boolean> {
    return (await this.redis.sismember(this.setKey, channel)) === 1;
  }

  /** Every occupied channel. */
  async members(): Promise<string[]> {
    return this.redis.smembers(this.setKey);
  }
}

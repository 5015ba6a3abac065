import type { RedisClient } from '@kiln/jobs';

/** What an `Idempotency-Key` points at: the job it created and the body that created it. */
export interface IdempotencyRecord {
  /** {@link fingerprintOf} the request body. */
  fingerprint: string;
  jobId: string;
  /** When the key was claimed (ms since the epoch), to recognise a claim whose request died. */
  claimedAt: number;
}

/** One day, as most APIs with idempotency keys keep them. */
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

// Replace the record only if it is still the one the caller read: two requests taking over the
// same dead claim cannot both win.
const SWAP_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * `Idempotency-Key`s in Redis under `<prefix>:idem:<customer>:<key>` for 24 h. A key is claimed
 * with `SET NX`, so of two concurrent requests with the same key exactly one creates the job.
 */
export class IdempotencyRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ttlSeconds = IDEMPOTENCY_TTL_SECONDS,
  ) {}

  /** The Redis key of a customer's idempotency key. */
  keyOf(customerId: string, key: string): string {
    return `${this.prefix}:idem:${customerId}:${key}`;
  }

  /**
   * Claims `key` for `record`. Resolves null when this call claimed it, else the record of the
   * request that did.
   */
  async claim(customerId: string, key: string, record: IdempotencyRecord): Promise<IdempotencyRecord | null> {
    const redisKey = this.keyOf(customerId, key);
    // The holder can expire or release between SET NX and GET; then claim again.
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((await this.redis.set(redisKey, JSON.stringify(record), 'EX', this.ttlSeconds, 'NX')) === 'OK') return null;
      const current = await this.redis.get(redisKey);
      if (current !== null) return JSON.parse(current) as IdempotencyRecord;
    }
    throw new Error(`idempotency key ${redisKey} keeps changing hands`);
  }

  /** Replaces `previous` by `next` (a claim whose request died); false when someone else did first. */
  async takeOver(
    customerId: string,
    key: string,
    previous: IdempotencyRecord,
    next: IdempotencyRecord,
  ): Promise<boolean> {
    const res = await this.redis.eval(
      SWAP_SCRIPT,
      1,
      this.keyOf(customerId, key),
      JSON.stringify(previous),
      JSON.stringify(next),
      String(this.ttlSeconds),
    );
    return res === 1;
  }

  /** Gives the key up if it still points at `jobId` (its request failed, so a retry may create the job). */
  async release(customerId: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.keyOf(customerId, key), JSON.stringify(record));
  }
}

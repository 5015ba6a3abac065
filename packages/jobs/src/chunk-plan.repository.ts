import type { RedisClient } from './redis-connection.js';

/** A chunk plan as stored: its id, what it was made for, and the plan itself (JSON the worker owns). */
export interface StoredChunkPlan {
  id: string;
  /** What the plan was made from (input, outputs, chunk length): a new attempt with the same one resumes it. */
  fingerprint: string;
  /** The plan's JSON, as given to {@link ChunkPlanRepository.create}. */
  plan: string;
  /** Epoch milliseconds at which the plan was first made (for the ETA). */
  createdAtMs: number;
  /** Chunks stored for good: their index and the record their run committed (JSON). */
  done: Map<number, string>;
  /** Chunks that could not be made (JSON errors): the stitch falls back to a whole encode. */
  failed: Map<number, string>;
}

/** What a chunk's commit found: stored, already stored by another run, or refused. */
export type ChunkCommit = 'stored' | 'exists' | 'stale' | 'fenced';

/** Plans live a week at most: what a crash leaves behind goes by itself. */
const TTL_S = 7 * 24 * 3600;

// KEYS[1] plan hash. ARGV: id, fingerprint, plan JSON, now ms, ttl. A plan with the same
// fingerprint is kept (a new attempt resumes it); any other is replaced.
const CREATE_LUA = `
local fp = redis.call('HGET', KEYS[1], 'fingerprint')
if fp == ARGV[2] then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'fingerprint', ARGV[2], 'plan', ARGV[3], 'createdAtMs', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
`;

// KEYS[1] plan hash. ARGV: plan id, chunk index, record JSON, lock key, lock token. The commit lands
// only for the plan still current and while the run holds its chunk's BullMQ lock (fencing), and
// the first run to commit a chunk wins.
const COMMIT_LUA = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'stale' end
if ARGV[5] ~= '' and redis.call('GET', ARGV[4]) ~= ARGV[5] then return 'fenced' end
if redis.call('HSETNX', KEYS[1], 'done:' .. ARGV[2], ARGV[3]) == 0 then return 'exists' end
redis.call('HDEL', KEYS[1], 'failed:' .. ARGV[2])
return 'stored'
`;

// KEYS[1] plan hash. ARGV: plan id, field, seconds. A part's encoded seconds only grow (a re-run
// of a chunk starts from 0 again); returns the sum over every part, or -1 for a stale plan.
const PROGRESS_LUA = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return '-1' end
local field = 'p:' .. ARGV[2]
local old = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if tonumber(ARGV[3]) > old then redis.call('HSET', KEYS[1], field, ARGV[3]) end
local sum = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'p:' then sum = sum + tonumber(all[i + 1]) end
end
return tostring(sum)
`;

// KEYS[1] plan hash. ARGV: plan id, chunk index, error JSON. Recorded only for the current plan
// and a chunk not stored meanwhile.
const FAIL_LUA = `
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[1], 'done:' .. ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'failed:' .. ARGV[2], ARGV[3])
return 1
`;

// KEYS[1] plan hash. ARGV: plan id ('' = whichever). Removes the plan when it is that one.
const REMOVE_LUA = `
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

type Scripts = {
  kilnChunkCreate(key: string, ...args: string[]): Promise<number>;
  kilnChunkCommit(key: string, ...args: string[]): Promise<ChunkCommit>;
  kilnChunkProgress(key: string, ...args: string[]): Promise<string>;
  kilnChunkFail(key: string, ...args: string[]): Promise<number>;
  kilnChunkRemove(key: string, ...args: string[]): Promise<number>;
};

/**
 * The chunk plans of chunked encodes (`<prefix>:chunks:<jobId>`, one hash a job): the plan, which
 * chunks are stored (and by which run), which failed, and each part's encoded seconds for the
 * job's one overall progress. Every write names the plan it belongs to and lands only while that
 * plan is the job's current one, so chunks of one attempt never mix with another's.
 */
export class ChunkPlanRepository {
  private readonly scripts: Scripts;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    redis.defineCommand('kilnChunkCreate', { numberOfKeys: 1, lua: CREATE_LUA });
    redis.defineCommand('kilnChunkCommit', { numberOfKeys: 1, lua: COMMIT_LUA });
    redis.defineCommand('kilnChunkProgress', { numberOfKeys: 1, lua: PROGRESS_LUA });
    redis.defineCommand('kilnChunkFail', { numberOfKeys: 1, lua: FAIL_LUA });
    redis.defineCommand('kilnChunkRemove', { numberOfKeys: 1, lua: REMOVE_LUA });
    this.scripts = redis as unknown as Scripts;
  }

  /** The key of a job's plan. */
  key(jobId: string): string {
    return `${this.prefix}:chunks:${jobId}`;
  }

  /**
   * Stores a new plan for the job, unless its current plan has the same fingerprint: then that one
   * is kept, with the chunks already stored, and returned instead (a new attempt resumes it).
   */
  async create(jobId: string, plan: { id: string; fingerprint: string; plan: string }): Promise<StoredChunkPlan> {
    await this.scripts.kilnChunkCreate(
      this.key(jobId),
      plan.id,
      plan.fingerprint,
      plan.plan,
      String(this.clock()),
      String(TTL_S),
    );
    const stored = await this.get(jobId);
    if (!stored) throw new Error(`the chunk plan of job ${jobId} vanished as it was stored`);
    return stored;
  }

  /** The job's current plan with its stored and failed chunks, or null. */
  async get(jobId: string): Promise<StoredChunkPlan | null> {
    const raw = await this.redis.hgetall(this.key(jobId));
    if (!raw.id || !raw.plan) return null;
    const done = new Map<number, string>();
    const failed = new Map<number, string>();
    for (const [field, value] of Object.entries(raw)) {
      if (field.startsWith('done:')) done.set(Number(field.slice(5)), value);
      else if (field.startsWith('failed:')) failed.set(Number(field.slice(7)), value);
    }
    return {
      id: raw.id,
      fingerprint: raw.fingerprint ?? '',
      plan: raw.plan,
      createdAtMs: Number(raw.createdAtMs ?? 0),
      done,
      failed,
    };
  }

  /** Whether the job's current plan is `planId` and has chunk `index` stored. */
  async isStored(jobId: string, planId: string, index: number): Promise<boolean> {
    const [id, done] = await this.redis.hmget(this.key(jobId), 'id', `done:${index}`);
    return id === planId && done !== null;
  }

  /**
   * Records chunk `index` as stored by a run (`record`: what the stitch needs to find its files).
   * With `lock`, only while that BullMQ lock still holds `token`.
   */
  commit(
    jobId: string,
    planId: string,
    index: number,
    record: string,
    lock?: { key: string; token: string },
  ): Promise<ChunkCommit> {
    return this.scripts.kilnChunkCommit(
      this.key(jobId),
      planId,
      String(index),
      record,
      lock?.key ?? '',
      lock?.token ?? '',
    );
  }

  /** Records that chunk `index` could not be made; false when the plan changed or the chunk is stored. */
  async fail(jobId: string, planId: string, index: number, error: string): Promise<boolean> {
    return (await this.scripts.kilnChunkFail(this.key(jobId), planId, String(index), error)) === 1;
  }

  /**
   * Records how many seconds of the input a part of the plan (`chunk:<i>`, or a whole output the
   * parent encodes) has encoded, never less than before, and returns the plan's total so far;
   * null when the plan is no longer the job's.
   */
  async progress(jobId: string, planId: string, part: string, seconds: number): Promise<number | null> {
    const sum = Number(await this.scripts.kilnChunkProgress(this.key(jobId), planId, part, String(seconds)));
    return sum < 0 ? null : sum;
  }

  /** The token holding a BullMQ lock (a chunk's), or null. */
  lockHolder(lockKey: string): Promise<string | null> {
    return this.redis.get(lockKey);
  }

  /** Removes the job's plan (only when it is `planId`, if given). */
  async remove(jobId: string, planId?: string): Promise<void> {
    await this.scripts.kilnChunkRemove(this.key(jobId), planId ?? '');
  }
}

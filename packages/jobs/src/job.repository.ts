import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';
import {
  jobSchema,
  type Job,
  type JobOutput,
  type JobClip,
  type JobLoudness,
  type JobWatermark,
  type JobPriority,
  type JobProgress,
  type JobStatus,
  type OutputSettings,
} from './job.schema.js';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.js';
import { JobKeys } from './job-index.keys.js';
import { CREATE_SCRIPT, DELETE_SCRIPT, INDEX_FUNCTIONS_LUA, PAGE_SCRIPT } from './job-index.scripts.js';
import { JobLimitExceededError } from './jobs.errors.js';
import { storedOutput, withDownloadPath, type StoredJobOutput } from './output-paths.js';
import { DEFAULT_POOL, getPreset, jobPool } from './presets.js';
import { bullPrefix, ENCODE_QUEUE, encodeQueueName } from './queue.js';

/** Fields a writer may change; `seq` and `updatedAt` are maintained by the store. */
export type JobPatch = Partial<
  Pick<
    Job,
    'status' | 'priority' | 'progress' | 'outputs' | 'error' | 'attempts' | 'startedAt' | 'finishedAt' | 'inputProbe'
  >
>;

/**
 * Result of a conditional update. `fenced`: the update carried a run's token and that run no
 * longer holds the job's BullMQ lock (it lost it, and another run may own the job now).
 */
export type UpdateResult =
  | { ok: true; job: Job }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'status'; current: JobStatus }
  | { ok: false; reason: 'fenced' };

/** What a running worker checks about its job about once a second (see {@link JobRepository.runState}). */
export interface RunState {
  /** The job's status, or null when its record is gone. */
  status: JobStatus | null;
  /** Whether the run with this token still holds the job's BullMQ lock. */
  holdsLock: boolean;
}

// The key of the job's BullMQ lock (KEYS[1] is the job's hash, ARGV[4] BullMQ's key prefix): its
// queue is the one of the job's pool, stored with the job (jobs stored before pools: \`encode\`).
const LOCK_KEY_LUA = `
local function kiln_lock_key(jobKey, bullPrefix)
  local h = redis.call('HMGET', jobKey, 'id', 'bullQueue')
  return bullPrefix .. ':' .. (h[2] or '${ENCODE_QUEUE}') .. ':' .. (h[1] or '') .. ':lock'
end
`;

// Checks the current status, writes the fields and bumps seq in one step, so every stored change
// gets its own seq even when the API (cancel) and a worker write the same job at once.
// ARGV[3] is the writing run's lock token ('' for the API), ARGV[4] BullMQ's key prefix.
const UPDATE_SCRIPT = `${INDEX_FUNCTIONS_LUA}${LOCK_KEY_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
-- fencing: a run's write lands only while that run holds the lock; BullMQ gives a new run a new token
if ARGV[3] ~= '' and redis.call('GET', kiln_lock_key(KEYS[1], ARGV[4])) ~= ARGV[3] then return {-2} end
-- end fencing
-- job indexes (job-index.scripts.ts): the status before this write
local kilnOldStatus = redis.call('HGET', KEYS[1], 'status')
if ARGV[1] ~= '' then
  local cur = redis.call('HGET', KEYS[1], 'status')
  local allowed = false
  for s in string.gmatch(ARGV[1], '[^,]+') do
    if s == cur then allowed = true end
  end
  if not allowed then return {0, cur} end
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2], unpack(ARGV, 5))
redis.call('HINCRBY', KEYS[1], 'seq', 1)
-- job indexes (job-index.scripts.ts): status indexes, finished index and counters follow the write
kiln_reindex(KEYS[1], kilnOldStatus, ARGV[2])
-- stored bytes (job-index.scripts.ts): the customer's usage follows the job's completed outputs
for i = 5, #ARGV, 2 do
  if ARGV[i] == 'outputs' then kiln_count_stored(KEYS[1]) break end
end
return {1, redis.call('HGETALL', KEYS[1])}
`;

// A run's view of its job: its status and the token holding its BullMQ lock (ARGV[1]: BullMQ's prefix).
const RUN_STATE_SCRIPT = `${LOCK_KEY_LUA}
return {redis.call('HGET', KEYS[1], 'status'), redis.call('GET', kiln_lock_key(KEYS[1], ARGV[1]))}
`;

// Writes a progress only when it is ahead of the stored one (ARGV[1] statuses, ARGV[2] progress JSON,
// ARGV[3] its percent, ARGV[4] now): several workers encoding chunks of one job report at once, and
// a late report must not move the job's progress back.
const ADVANCE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local cur = redis.call('HGET', KEYS[1], 'status')
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do
  if s == cur then allowed = true end
end
if not allowed then return {0, cur} end
local old = redis.call('HGET', KEYS[1], 'progress')
if old then
  local ok, p = pcall(cjson.decode, old)
  if ok and type(p) == 'table' and tonumber(p.percent) and tonumber(p.percent) >= tonumber(ARGV[3]) then return {2} end
end
redis.call('HSET', KEYS[1], 'progress', ARGV[2], 'updatedAt', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return {1, redis.call('HGETALL', KEYS[1])}
`;

const JSON_FIELDS = new Set([
  'metadata',
  'progress',
  'outputs',
  'error',
  'inputProbe',
  'clip',
  'loudness',
  'watermark',
]);

/** A new job's outputs, one per requested preset, all pending. */
function pendingOutputs(
  requests: { preset: string; name?: string | undefined; settings?: OutputSettings | undefined }[],
): JobOutput[] {
  return requests.map((r) => ({
    name: r.name ?? r.preset,
    preset: r.preset,
    ...(r.settings ? { settings: r.settings } : {}),
    status: 'pending',
    contentType: getPreset(r.preset)?.contentType ?? 'application/octet-stream',
    sizeBytes: null,
    durationSeconds: null,
    width: null,
    height: null,
    bitrateKbps: null,
    checksum: null,
    downloadPath: null,
  }));
}

/**
 * The outputs of a job about to run again (a new attempt, or a retry): same names and presets, all
 * pending, with nothing of the earlier run left (sizes, checksums, files, download paths).
 */
export function resetOutputs(outputs: readonly Pick<JobOutput, 'name' | 'preset' | 'settings'>[]): JobOutput[] {
  return pendingOutputs(outputs.map((o) => ({ name: o.name, preset: o.preset, settings: o.settings })));
}

/** The limits {@link JobRepository.create} checks; null or absent = no limit. */
export interface CreateLimits {
  queued?: number | null;
  storedBytes?: number | null;
}

const limitArg = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

export const EMPTY_PROGRESS: JobProgress = { percent: 0, fps: null, speed: null, etaSeconds: null };

/**
 * The job store: one Redis hash per job plus per-customer indexes ordered by creation (all jobs,
 * and one per status, kept in step by every write: see `job-index.scripts.ts`). It is the
 * source of truth for what the API returns and what events carry; BullMQ only schedules.
 */
export class JobRepository {
  private readonly keys: JobKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.redis.defineCommand('kilnJobUpdate', { numberOfKeys: 1, lua: UPDATE_SCRIPT });
    this.redis.defineCommand('kilnJobRunState', { numberOfKeys: 1, lua: RUN_STATE_SCRIPT });
    this.redis.defineCommand('kilnJobAdvance', { numberOfKeys: 1, lua: ADVANCE_SCRIPT });
    this.redis.defineCommand('kilnJobCreate', { numberOfKeys: 4, lua: CREATE_SCRIPT });
    this.redis.defineCommand('kilnJobDelete', { numberOfKeys: 1, lua: DELETE_SCRIPT });
    this.redis.defineCommand('kilnJobPage', { numberOfKeys: 1, lua: PAGE_SCRIPT });
    this.keys = new JobKeys(prefix);
  }

  private jobKey(id: string): string {
    return this.keys.job(id);
  }

  private customerIndexKey(customerId: string): string {
    return this.keys.customer(customerId);
  }

  /**
   * Stores a new queued job (seq 1) and indexes it under its customer. With `limits`, the job is
   * stored only while the customer has fewer waiting jobs than `queued` and stores fewer bytes
   * than `storedBytes` (null = no limit), checked atomically with the write; otherwise it throws
   * {@link JobLimitExceededError} and nothing is written.
   */
  async create(input: {
    customerId: string;
    input: string;
    outputs: { preset: string; name?: string | undefined; settings?: OutputSettings | undefined }[];
    metadata?: Record<string, string> | undefined;
    priority?: JobPriority | undefined;
    clip?: JobClip | undefined;
    loudness?: JobLoudness | undefined;
    watermark?: JobWatermark | undefined;
    id?: string;
    /** The customer's limits this job must stay within; none when absent. */
    limits?: CreateLimits | undefined;
  }): Promise<Job> {
    const limits = input.limits;
    const now = this.clock();
    const pool = jobPool(input.outputs.map((o) => o.preset)) ?? DEFAULT_POOL;
    const job: Job = {
      id: input.id ?? randomUUID(),
      customerId: input.customerId,
      status: 'queued',
      priority: input.priority ?? 'normal',
      pool,
      input: input.input,
      inputProbe: null,
      metadata: input.metadata ?? {},
      ...(input.clip ? { clip: input.clip } : {}),
      ...(input.loudness ? { loudness: input.loudness } : {}),
      ...(input.watermark ? { watermark: input.watermark } : {}),
      progress: EMPTY_PROGRESS,
      outputs: pendingOutputs(input.outputs),
      error: null,
      attempts: 0,
      seq: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    const res = (await (
      this.redis as unknown as { kilnJobCreate: (...a: string[]) => Promise<[number, string?, number?]> }
    ).kilnJobCreate(
      this.jobKey(job.id),
      this.customerIndexKey(job.customerId),
      this.keys.status(job.customerId, 'queued'),
      this.keys.usage(job.customerId),
      job.id,
      String(now.getTime()),
      limitArg(limits?.queued),
      limitArg(limits?.storedBytes),
      // `bullQueue`: the BullMQ queue of its pool, whose lock fences the runs' writes (not in the JSON).
      ...Object.entries({ ...encode(job), bullQueue: encodeQueueName(pool) }).flat(),
    )) as [number, string?, number?];
    if (res[0] !== 1) {
      const limit = res[1] === 'queued' ? 'queued' : 'storedBytes';
      throw new JobLimitExceededError(limit, limits?.[limit] ?? 0, Number(res[2] ?? 0));
    }
    return job;
  }

  /** A job by id, or null. */
  async get(id: string): Promise<Job | null> {
    const raw = await this.redis.hgetall(this.jobKey(id));
    return Object.keys(raw).length === 0 ? null : decode(raw);
  }

  /** The customer a job belongs to, or null for an unknown job: one HGET, for ownership checks that need nothing else. */
  async ownerOf(id: string): Promise<string | null> {
    return (await this.redis.hget(this.jobKey(id), 'customerId')) || null;
  }

  /** A job by id when it belongs to the customer; null otherwise (callers answer 404 either way). */
  async getForCustomer(customerId: string, id: string): Promise<Job | null> {
    const job = await this.get(id);
    return job && job.customerId === customerId ? job : null;
  }

  /**
   * Applies a patch, bumping seq, but only while the job's status is one of `onlyFrom` (all when
   * omitted): a worker must not turn a cancelled job back into an encoding one. A worker's run
   * passes its BullMQ lock token as `runToken`: the patch then lands only while that run still
   * holds the job's lock (else `fenced`), so a run that lost it (Redis paused or partitioned past
   * the lock's duration) can never write over the run that took the job over. API writes (cancel,
   * retry) pass none and are never fenced.
   */
  async update(id: string, patch: JobPatch, onlyFrom?: readonly JobStatus[], runToken?: string): Promise<UpdateResult> {
    const args: string[] = [];
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      args.push(field, encodeField(field, value));
    }
    const res = (await (
      this.redis as unknown as { kilnJobUpdate: (...a: string[]) => Promise<unknown[]> }
    ).kilnJobUpdate(
      this.jobKey(id),
      onlyFrom ? onlyFrom.join(',') : '',
      this.clock().toISOString(),
      runToken ?? '',
      bullPrefix(this.prefix),
      ...args,
    )) as [number, unknown];
    if (res[0] === -1) return { ok: false, reason: 'not_found' };
    if (res[0] === -2) return { ok: false, reason: 'fenced' };
    if (res[0] === 0) return { ok: false, reason: 'status', current: res[1] as JobStatus };
    return { ok: true, job: decode(pairsToRecord(res[1] as string[])) };
  }

  /**
   * Stores `progress` only when its percent is above the stored one and the job's status is one of
   * `onlyFrom`: for writers that report at once and out of order (the workers encoding chunks of
   * one job), so the job's progress never goes back. `behind`: a newer progress is stored already.
   */
  async advanceProgress(
    id: string,
    progress: JobProgress,
    onlyFrom: readonly JobStatus[],
  ): Promise<UpdateResult | { ok: false; reason: 'behind' }> {
    const res = (await (
      this.redis as unknown as { kilnJobAdvance: (...a: string[]) => Promise<unknown[]> }
    ).kilnJobAdvance(
      this.jobKey(id),
      onlyFrom.join(','),
      JSON.stringify(progress),
      String(progress.percent),
      this.clock().toISOString(),
    )) as [number, unknown];
    if (res[0] === -1) return { ok: false, reason: 'not_found' };
    if (res[0] === 0) return { ok: false, reason: 'status', current: res[1] as JobStatus };
    if (res[0] === 2) return { ok: false, reason: 'behind' };
    return { ok: true, job: decode(pairsToRecord(res[1] as string[])) };
  }

  /**
   * A running job's status and whether the run with `runToken` still holds its BullMQ lock, in
   * one round trip: what a worker polls to notice a cancel whose pub/sub message it missed, or a
   * lock it lost, while nothing else of the run touches Redis (download, probe, a silent encode).
   */
  async runState(id: string, runToken: string): Promise<RunState> {
    const [status, holder] = (await (
      this.redis as unknown as { kilnJobRunState: (...a: string[]) => Promise<[string | null, string | null]> }
    ).kilnJobRunState(this.jobKey(id), bullPrefix(this.prefix))) as [string | null, string | null];
    return { status: (status ?? null) as JobStatus | null, holdsLock: holder === runToken };
  }

  /** Removes a job's record and its entries in every index; false when there was none. */
  async delete(customerId: string, id: string): Promise<boolean> {
    const res = await (this.redis as unknown as { kilnJobDelete: (...a: string[]) => Promise<number> }).kilnJobDelete(
      this.jobKey(id),
      customerId,
    );
    return Number(res) > 0;
  }

  /**
   * A customer's jobs, newest first, all or those in one status: a page of the matching index,
   * O(log n + limit) whatever the number of jobs. `cursor` is the opaque `nextCursor` of the
   * previous page; it names the last job listed, so jobs created or changing status meanwhile
   * neither shift nor repeat the pages after it.
   */
  async list(
    customerId: string,
    opts: { limit: number; status?: JobStatus | undefined; cursor?: string | undefined },
  ): Promise<{ data: Job[]; nextCursor: string | null }> {
    const index = opts.status ? this.keys.status(customerId, opts.status) : this.customerIndexKey(customerId);
    let after = { score: '', id: '' };
    if (opts.cursor) {
      const cursor = decodeJobCursor(opts.cursor);
      if (cursor.kind === 'key') after = cursor;
      else if (cursor.offset > 0) {
        // An offset cursor from before the per-status indexes: resume after the job at that place.
        const [id, score] = await this.redis.zrevrange(
          this.customerIndexKey(customerId),
          cursor.offset - 1,
          cursor.offset - 1,
          'WITHSCORES',
        );
        if (id === undefined || score === undefined) return { data: [], nextCursor: null };
        after = { score, id };
      }
    }
    const [more, rows] = (await (
      this.redis as unknown as { kilnJobPage: (...a: string[]) => Promise<unknown[]> }
    ).kilnJobPage(index, String(opts.limit), after.score, after.id, this.keys.job(''))) as [number, unknown[]];
    const data: Job[] = [];
    let last: { id: string; score: string } | undefined;
    for (let i = 0; i + 2 < rows.length; i += 3) {
      last = { id: rows[i] as string, score: rows[i + 1] as string };
      const pairs = rows[i + 2] as string[];
      if (pairs.length === 0) continue;
      const job = decode(pairsToRecord(pairs));
      if (opts.status && job.status !== opts.status) continue;
      data.push(job);
    }
    return { data, nextCursor: more === 1 && last ? encodeJobCursor(last.score, last.id) : null };
  }
}

function encodeField(field: string, value: unknown): string {
  if (field === 'outputs') return JSON.stringify((value as JobOutput[]).map(storedOutput));
  if (JSON_FIELDS.has(field)) return JSON.stringify(value);
  if (value === null) return '';
  return String(value);
}

function encode(job: Job): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(job)) out[k] = encodeField(k, v);
  return out;
}

function pairsToRecord(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]!] = pairs[i + 1]!;
  return out;
}

/**
 * A stored hash as the job it holds: the scalar fields as Redis keeps them (strings, '' for null),
 * the JSON ones parsed, then checked and shaped by the wire schema, so what the API returns and
 * events carry is what `jobSchema` says. Fields a record written by an older version lacks get
 * their empty value rather than failing the read.
 */
function decode(raw: Record<string, string>): Job {
  const parse = (s: string | undefined, fallback: unknown): unknown => (s ? JSON.parse(s) : fallback);
  return jobSchema.parse({
    id: raw.id,
    customerId: raw.customerId ?? '',
    status: raw.status ?? 'queued',
    priority: raw.priority || 'normal',
    pool: raw.pool || DEFAULT_POOL,
    input: raw.input ?? '',
    inputProbe: parse(raw.inputProbe, null),
    metadata: parse(raw.metadata, {}),
    clip: parse(raw.clip, undefined),
    loudness: parse(raw.loudness, undefined),
    watermark: parse(raw.watermark, undefined),
    progress: parse(raw.progress, EMPTY_PROGRESS),
    outputs: (parse(raw.outputs, []) as StoredJobOutput[]).map((o) => withDownloadPath(raw.id ?? '', o)),
    error: parse(raw.error, null),
    attempts: Number(raw.attempts ?? 0),
    seq: Number(raw.seq ?? 0),
    createdAt: raw.createdAt ?? '',
    updatedAt: raw.updatedAt ?? '',
    startedAt: raw.startedAt || null,
    finishedAt: raw.finishedAt || null,
  });
}

import type { RedisClient } from './redis-connection.js';
import { JobKeys } from './job-index.keys.js';
import { ACTIVE_STATUSES } from './job.schema.js';
import { ADD_UPLOAD_SCRIPT, REMOVE_UPLOADS_SCRIPT } from './usage.scripts.js';

/** What a customer uses of what its limits cover, read in one round trip. */
export interface CustomerUsage {
  /** Jobs a worker runs now (probing, encoding or storing). */
  running: number;
  /** Jobs waiting to run. */
  queued: number;
  /** Bytes of the completed outputs of the customer's jobs. */
  outputBytes: number;
  /** Bytes of the customer's stored uploads. */
  uploadBytes: number;
}

/** How many expired uploads one script call stops counting. */
const EXPIRE_BATCH = 500;

type Commands = {
  kilnUsageAddUpload: (...a: string[]) => Promise<[number, number?]>;
  kilnUsageRemoveUploads: (...a: string[]) => Promise<[number, number]>;
};

/**
 * A customer's usage as counters, never a scan: running and queued jobs are the sizes of the job
 * store's status indexes; stored bytes are `outputBytes` (kept by the job store's scripts as
 * outputs complete, reset and are deleted) plus `uploadBytes`, kept here from a ledger of
 * uploads (`<prefix>:uploads:stored` and `:sizes`), so each upload is counted once and taken
 * back once, when it is removed or expires.
 */
export class UsageRepository {
  private readonly keys: JobKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.keys = new JobKeys(prefix);
    this.redis.defineCommand('kilnUsageAddUpload', { numberOfKeys: 3, lua: ADD_UPLOAD_SCRIPT });
    this.redis.defineCommand('kilnUsageRemoveUploads', { numberOfKeys: 2, lua: REMOVE_UPLOADS_SCRIPT });
  }

  private get commands(): Commands {
    return this.redis as unknown as Commands;
  }

  /** The customer's running and queued jobs and stored bytes. */
  async read(customerId: string): Promise<CustomerUsage> {
    const pipeline = this.redis.pipeline();
    for (const status of ACTIVE_STATUSES) pipeline.zcard(this.keys.status(customerId, status));
    pipeline.zcard(this.keys.status(customerId, 'queued'));
    pipeline.hmget(this.keys.usage(customerId), 'outputBytes', 'uploadBytes');
    const rows = (await pipeline.exec()) ?? [];
    const failed = rows.find(([err]) => err);
    if (failed) throw failed[0];
    const values = rows.map(([, v]) => v);
    const running = values.slice(0, ACTIVE_STATUSES.length).reduce((n: number, v) => n + Number(v), 0);
    const [outputBytes, uploadBytes] = (values.at(-1) ?? []) as (string | null)[];
    return {
      running,
      queued: Number(values[ACTIVE_STATUSES.length] ?? 0),
      outputBytes: Math.max(0, Number(outputBytes ?? 0)),
      uploadBytes: Math.max(0, Number(uploadBytes ?? 0)),
    };
  }

  /**
   * Counts a stored upload, unless that would take the customer's stored bytes past `limit`
   * (null = none): then nothing is counted and the answer says what the customer stores. Counting
   * an upload twice counts it once.
   */
  async addUpload(
    customerId: string,
    uploadId: string,
    sizeBytes: number,
    limit: number | null,
  ): Promise<{ ok: true } | { ok: false; storedBytes: number }> {
    const [ok, stored] = await this.commands.kilnUsageAddUpload(
      this.keys.usage(customerId),
      this.keys.uploads(),
      this.keys.uploadSizes(),
      `${customerId}/${uploadId}`,
      String(sizeBytes),
      limit === null ? '' : String(limit),
      String(this.clock()),
    );
    return ok === 1 ? { ok: true } : { ok: false, storedBytes: Number(stored ?? 0) };
  }

  /** Stops counting an upload (it was removed); nothing when it is not counted. */
  async removeUpload(customerId: string, uploadId: string): Promise<void> {
    await this.commands.kilnUsageRemoveUploads(
      this.keys.uploads(),
      this.keys.uploadSizes(),
      this.keys.prefix,
      'ids',
      `${customerId}/${uploadId}`,
    );
  }

  /**
   * Stops counting every upload stored before `cutoffMs` (they expire: KILN_UPLOAD_TTL_H), in
   * batches; returns how many. Idempotent and safe beside other API processes doing the same.
   */
  async expireUploads(cutoffMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const [seen, n] = await this.commands.kilnUsageRemoveUploads(
        this.keys.uploads(),
        this.keys.uploadSizes(),
        this.keys.prefix,
        'expire',
        String(cutoffMs),
        String(EXPIRE_BATCH),
      );
      total += n;
      if (seen < EXPIRE_BATCH) return total;
    }
  }
}

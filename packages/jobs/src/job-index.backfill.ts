import { redisNodes, type RedisClient } from './redis-connection.js';
import { JobKeys } from './job-index.keys.js';
import { BACKFILL_SCRIPT } from './job-index.scripts.js';

/** Version of the index layout; the backfill runs once per store until this is recorded (2: stored-bytes usage). */
export const JOB_INDEX_VERSION = '2';
const BATCH = 500;

/** What one backfill did. */
export interface BackfillResult {
  /** False when the store was already indexed and nothing was read. */
  ran: boolean;
  customers: number;
  jobs: number;
}

/**
 * Fills in the per-status, finished and counter indexes for jobs stored before they existed.
 * It walks each customer's index of all jobs in batches of {@link BATCH}, and each batch is one
 * script that sets the job's entries from its current state: idempotent, and safe beside live
 * writes (which keep the indexes themselves) and beside other processes running it at the same
 * time. Once done it records {@link JOB_INDEX_VERSION}, so later starts cost one GET; delete
 * `<prefix>:jobs:index-version` to run it again.
 */
export class JobIndexBackfill {
  private readonly keys: JobKeys;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly onBatch: (progress: { customerId: string; jobs: number }) => void = () => undefined,
  ) {
    this.keys = new JobKeys(prefix);
    // The customer's index is the script's one key: on a cluster it sends the script to the node
    // holding that slot, which holds every key of the prefix (it carries a hash tag).
    this.redis.defineCommand('kilnJobIndexBackfill', { numberOfKeys: 1, lua: BACKFILL_SCRIPT });
  }

  /** Runs the backfill unless the store is already indexed. */
  async run(): Promise<BackfillResult> {
    if ((await this.redis.get(this.keys.indexVersion())) === JOB_INDEX_VERSION)
      return { ran: false, customers: 0, jobs: 0 };
    const result: BackfillResult = { ran: true, customers: 0, jobs: 0 };
    for await (const customerId of this.customers()) {
      result.customers++;
      result.jobs += await this.backfillCustomer(customerId);
    }
    await this.redis.set(this.keys.indexVersion(), JOB_INDEX_VERSION);
    return result;
  }

  /** Every customer with an index of jobs (a one-time SCAN of every node, COUNT-bounded steps). */
  private async *customers(): AsyncGenerator<string> {
    const head = this.keys.customer('');
    const suffix = head.slice(head.lastIndexOf(':'));
    const start = head.slice(0, head.length - suffix.length);
    const seen = new Set<string>();
    // SCAN reads one node: on a cluster, each master is scanned for its part of the keys.
    for (const node of redisNodes(this.redis)) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${start}*${suffix}`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const customerId = key.slice(start.length, key.length - suffix.length);
          // SCAN may return a key twice; customer ids never contain ':'.
          if (customerId.includes(':') || seen.has(customerId)) continue;
          seen.add(customerId);
          yield customerId;
        }
      } while (cursor !== '0');
    }
  }

  private async backfillCustomer(customerId: string): Promise<number> {
    const index = this.keys.customer(customerId);
    const script = (
      this.redis as unknown as { kilnJobIndexBackfill: (...a: string[]) => Promise<number> }
    ).kilnJobIndexBackfill.bind(this.redis);
    let jobs = 0;
    // Oldest first by creation time, resuming after the last batch's score (skipping the jobs of
    // that same ms already done): jobs created or deleted meanwhile shift no one out of the walk.
    let from = '-inf';
    let skip = 0;
    for (;;) {
      const rows = await this.redis.zrangebyscore(index, from, '+inf', 'WITHSCORES', 'LIMIT', skip, BATCH);
      if (rows.length === 0) break;
      const ids = rows.filter((_, i) => i % 2 === 0);
      jobs += Number(await script(index, this.prefix, customerId, ...ids));
      this.onBatch({ customerId, jobs });
      const last = rows[rows.length - 1]!;
      const tied = rows.filter((v, i) => i % 2 === 1 && v === last).length;
      skip = last === from ? skip + tied : tied;
      from = last;
      if (ids.length < BATCH) break;
    }
    return jobs;
  }
}

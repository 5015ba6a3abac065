import { Queue, type DefaultJobOptions } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import type { EncodeJobData } from './job.schema.js';

import { DEFAULT_POOL } from './presets.js';

/** The BullMQ queue of the default pool's encode jobs. */
export const ENCODE_QUEUE = 'encode';

/** The BullMQ queue a pool's jobs go through: `encode` for the default pool, `encode-<pool>` for others. */
export function encodeQueueName(pool: string): string {
  return pool === DEFAULT_POOL ? ENCODE_QUEUE : `${ENCODE_QUEUE}-${pool}`;
}

/** BullMQ's own key prefix under Kiln's prefix, so one Redis can hold several farms. */
export function bullPrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}

/**
 * The key of BullMQ's lock on an encode job (`<prefix>:<queue>:<jobId>:lock`, holding the token of
 * the run that owns it): the job store fences each run's writes with it.
 */
export function encodeLockKey(redisPrefix: string, jobId: string, queue: string = ENCODE_QUEUE): string {
  return `${bullPrefix(redisPrefix)}:${queue}:${jobId}:lock`;
}

/**
 * Retries with exponential backoff for transient failures (bad input is an UnrecoverableError and
 * never retried); finished BullMQ entries are trimmed because the job store keeps the history.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/**
 * The BullMQ queue of chunk encodes (split-and-stitch): every worker takes them, whatever its
 * pools, since chunks are H.264 (the default pool's encoder). Each is a child of its job's encode
 * job (a BullMQ flow), which stitches once every chunk is done.
 */
export const CHUNK_QUEUE = 'encode-chunk';

/** Payload of a chunk encode: the job, the plan the chunk belongs to, and the chunk's place in it. */
export interface ChunkJobData {
  jobId: string;
  customerId: string;
  planId: string;
  index: number;
}

/** The BullMQ id of a chunk encode: one per chunk of a plan, so adding it twice adds it once. */
export function chunkJobId(jobId: string, planId: string, index: number): string {
  return `${jobId}.${planId}.${index}`;
}

/** The key of BullMQ's lock on a chunk encode, which fences the chunk's commit. */
export function chunkLockKey(redisPrefix: string, bullJobId: string): string {
  return `${bullPrefix(redisPrefix)}:${CHUNK_QUEUE}:${bullJobId}:lock`;
}

/** Redis pub/sub channel on which the API tells every worker to stop a job (message: the job id). */
export function cancelChannel(redisPrefix: string): string {
  return `${redisPrefix}:jobs:cancel`;
}

/**
 * The BullMQ queues of the encode pools, one per pool ({@link encodeQueueName}), made when first
 * asked for and sharing one connection.
 */
export class EncodeQueues {
  private readonly queues = new Map<string, Queue<EncodeJobData>>();

  constructor(
    private readonly connection: RedisClient,
    private readonly redisPrefix: string,
  ) {}

  /** The queue of `pool`. */
  for(pool: string): Queue<EncodeJobData> {
    let queue = this.queues.get(pool);
    if (!queue) {
      queue = new Queue<EncodeJobData>(encodeQueueName(pool), {
        connection: this.connection,
        prefix: bullPrefix(this.redisPrefix),
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      this.queues.set(pool, queue);
    }
    return queue;
  }

  /** Every queue made so far. */
  all(): Queue<EncodeJobData>[] {
    return [...this.queues.values()];
  }

  /** Closes every queue made. */
  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}

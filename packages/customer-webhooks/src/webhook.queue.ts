import { bullPrefix, type RedisClient } from '@kiln/jobs';
import { Queue } from 'bullmq';
import { WEBHOOK_BACKOFF_TYPE } from './webhook-backoff.js';

/** The BullMQ queue webhook deliveries go through (the worker app runs its consumer). */
export const WEBHOOKS_QUEUE = 'webhooks';

/** A BullMQ job of {@link WEBHOOKS_QUEUE}: one attempt series of one delivery. */
export interface WebhookJobData {
  deliveryId: string;
}

/**
 * BullMQ's attempt count is only a ceiling: the retry window (KILN_WEBHOOK_RETRY_H) ends a series,
 * the delivery handler failing it for good once the next try would fall past it.
 */
const MAX_ATTEMPTS = 1000;

/** The queue of webhook deliveries, shared by the API (replays, cancels) and the worker (everything else). */
export class WebhookQueue {
  readonly queue: Queue<WebhookJobData>;

  constructor(connection: RedisClient, redisPrefix: string) {
    this.queue = new Queue<WebhookJobData>(WEBHOOKS_QUEUE, { connection, prefix: bullPrefix(redisPrefix) });
  }

  /**
   * Queues attempt series `series` of a delivery. Its BullMQ id names both, so queueing the same
   * series twice sends it once.
   */
  async add(delivery: { id: string; series: number }): Promise<void> {
    await this.queue.add(
      'deliver',
      { deliveryId: delivery.id },
      {
        jobId: `${delivery.id}-${delivery.series}`,
        attempts: MAX_ATTEMPTS,
        backoff: { type: WEBHOOK_BACKOFF_TYPE },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
    );
  }

  /** Closes the queue's BullMQ side (the connection is the caller's). */
  close(): Promise<void> {
    return this.queue.close();
  }
}

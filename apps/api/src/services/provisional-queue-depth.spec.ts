import { randomUUID } from 'node:crypto';
import { bullPrefix, ENCODE_QUEUE, type EncodeJobData } from '@kiln/jobs';
import { useRedis } from '@kiln/testing';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ProvisionalBullQueueDepth } from './provisional-queue-depth.js';

const db = useRedis({ maxRetriesPerRequest: null });

describe('ProvisionalBullQueueDepth', () => {
  it("counts BullMQ's waiting jobs as normal priority, with the oldest one's wait, and no customers", async () => {
    const queue = new Queue<EncodeJobData>(ENCODE_QUEUE, {
      connection: db.redis,
      prefix: bullPrefix(`test-${randomUUID()}`),
    });
    try {
      let now = Date.now();
      const depth = new ProvisionalBullQueueDepth(queue, () => now);
      expect(await depth.byPriority()).toEqual([{ priority: 'normal', waiting: 0, oldestWaitSeconds: null }]);

      const first = await queue.add('encode', { jobId: 'j1', customerId: 'acme' });
      await queue.add('encode', { jobId: 'j2', customerId: 'acme' }, { timestamp: first.timestamp + 5_000 });
      now = first.timestamp + 30_000;
      expect(await depth.byPriority()).toEqual([{ priority: 'normal', waiting: 2, oldestWaitSeconds: 30 }]);
      expect(await depth.byCustomer()).toEqual([]);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

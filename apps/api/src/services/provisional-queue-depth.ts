import type { EncodeJobData } from '@kiln/jobs';
import type { QueueDepthSource } from '@kiln/scheduler';
import type { Queue } from 'bullmq';

/**
 * PROVISIONAL, until the fair-share queue (`FairQueue` in @kiln/scheduler) is wired in its place:
 * queue depth read from BullMQ's single `encode` queue, all of it counted as `normal` priority,
 * and no per-customer figures (counting those needs the fair queue's own per-customer lists).
 */
export class ProvisionalBullQueueDepth implements QueueDepthSource {
  constructor(
    private readonly queue: Queue<EncodeJobData>,
    private readonly clock: () => number = Date.now,
  ) {}

  async byPriority(): ReturnType<QueueDepthSource['byPriority']> {
    const [counts, oldest] = await Promise.all([
      this.queue.getJobCounts('wait', 'prioritized'),
      // The oldest entry of each list (asc: the wait list's far end).
      this.queue.getJobs(['wait', 'prioritized'], 0, 0, true),
    ]);
    const waiting = (counts['wait'] ?? 0) + (counts['prioritized'] ?? 0);
    const since = Math.min(...oldest.map((j) => j.timestamp));
    const oldestWaitSeconds = waiting > 0 && Number.isFinite(since) ? Math.max(0, (this.clock() - since) / 1000) : null;
    return [{ priority: 'normal', waiting, oldestWaitSeconds }];
  }

  async byCustomer(): ReturnType<QueueDepthSource['byCustomer']> {
    return [];
  }
}

/** A job's priority on the queue (`POST /v1/jobs` `priority`). */
export type QueuePriority = 'high' | 'normal' | 'low';

/** Every priority, highest first: the fleet view and the gauges list all three, also when empty. */
export const QUEUE_PRIORITIES: readonly QueuePriority[] = ['high', 'normal', 'low'];

/** Waiting jobs (not yet handed to a worker), for the fleet view and the autoscaling gauges. */
export interface QueueDepthSource {
  byPriority(): Promise<{ priority: QueuePriority; waiting: number; oldestWaitSeconds: number | null }[]>;
  byCustomer(): Promise<{ customerId: string; waiting: number; running: number }[]>;
}

export type QueuePriority = 'high' | 'normal' | 'low';
/** Waiting jobs (not yet handed to a worker), for the fleet view and the autoscaling gauges. */
export interface QueueDepthSource {
  byPriority(): Promise<{ priority: QueuePriority; waiting: number; oldestWaitSeconds: number | null }[]>;
  byCustomer(): Promise<{ customerId: string; waiting: number; running: number }[]>;
}

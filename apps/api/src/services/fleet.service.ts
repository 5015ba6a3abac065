import {
  QUEUE_PRIORITIES,
  slotsByPool,
  type FleetRepository,
  type OnlineWorker,
  type QueueDepthSource,
  type QueuePriority,
} from '@kiln/scheduler';

/** Waiting jobs of one priority. */
export interface PriorityDepth {
  priority: QueuePriority;
  waiting: number;
  oldestWaitSeconds: number | null;
}

/** What `GET /v1/admin/fleet` answers and the fleet page shows. */
export interface FleetView {
  /** Every worker process online, by host and pid. */
  workers: OnlineWorker[];
  queue: {
    /** Every priority, highest first, also those with nothing waiting. */
    byPriority: PriorityDepth[];
    /** Customers with jobs waiting or running, most waiting first. */
    byCustomer: { customerId: string; waiting: number; running: number }[];
  };
  /** Jobs finished (completed or failed) in the last 60 s. */
  jobsPerMinute: number;
  /** Encode slots online per pool. */
  slotsOnline: Record<string, number>;
}

/** The source's rows as one row per priority, highest first (a priority it left out has nothing waiting). */
export function depthByPriority(rows: readonly PriorityDepth[]): PriorityDepth[] {
  return QUEUE_PRIORITIES.map(
    (priority) => rows.find((r) => r.priority === priority) ?? { priority, waiting: 0, oldestWaitSeconds: null },
  );
}

/** The operators' view of the farm: workers online with their jobs, queue depth, throughput. */
export class FleetService {
  constructor(
    private readonly deps: {
      fleet: Pick<FleetRepository, 'online' | 'jobsPerMinute'>;
      queue: QueueDepthSource;
    },
  ) {}

  /** The fleet now; Redis errors reach the caller (the API answers them with a 503). */
  async view(): Promise<FleetView> {
    const [workers, byPriority, byCustomer, jobsPerMinute] = await Promise.all([
      this.deps.fleet.online(),
      this.deps.queue.byPriority(),
      this.deps.queue.byCustomer(),
      this.deps.fleet.jobsPerMinute(),
    ]);
    workers.sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid || a.id.localeCompare(b.id));
    return {
      workers,
      queue: {
        byPriority: depthByPriority(byPriority),
        byCustomer: [...byCustomer].sort(
          (a, b) => b.waiting - a.waiting || b.running - a.running || a.customerId.localeCompare(b.customerId),
        ),
      },
      jobsPerMinute,
      slotsOnline: slotsByPool(workers),
    };
  }
}

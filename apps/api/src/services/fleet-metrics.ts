import type { Logger } from '@kiln/logger';
import { slotsByPool, type FleetRepository, type OnlineWorker, type QueueDepthSource } from '@kiln/scheduler';
import { Gauge, type Registry } from 'prom-client';
import { depthByPriority, type PriorityDepth } from './fleet.service.js';

/** The longest a scrape waits for Redis before answering with the gauges' last values. */
const SCRAPE_TIMEOUT_MS = 2_000;

interface FleetSnapshot {
  workers: OnlineWorker[];
  byPriority: PriorityDepth[];
}

/**
 * The fleet's gauges on the API's `/metrics`, for autoscalers: queue depth and the oldest wait per
 * priority, workers and encode slots online. Read from Redis on each scrape (once for all four);
 * when Redis does not answer within {@link SCRAPE_TIMEOUT_MS} the scrape still answers at once
 * with the values of the last scrape that worked.
 */
export class FleetMetrics {
  private inFlight: Promise<FleetSnapshot | undefined> | undefined;
  private readonly pools = new Set<string>();

  constructor(
    registry: Registry,
    private readonly deps: {
      fleet: Pick<FleetRepository, 'online'>;
      queue: Pick<QueueDepthSource, 'byPriority'>;
      logger: Logger;
      timeoutMs?: number;
    },
  ) {
    const registers = [registry];
    const depth = new Gauge({
      name: 'kiln_queue_depth',
      help: 'Jobs waiting for a worker, per priority',
      labelNames: ['priority'],
      registers,
      collect: () => this.read((s) => s.byPriority.forEach((p) => depth.set({ priority: p.priority }, p.waiting))),
    });
    const oldest = new Gauge({
      name: 'kiln_queue_oldest_wait_seconds',
      help: 'How long the oldest waiting job of a priority has waited (0 when none waits)',
      labelNames: ['priority'],
      registers,
      collect: () =>
        this.read((s) => s.byPriority.forEach((p) => oldest.set({ priority: p.priority }, p.oldestWaitSeconds ?? 0))),
    });
    const workers = new Gauge({
      name: 'kiln_workers_online',
      help: 'Worker processes online (heartbeat within the last 15 s)',
      registers,
      collect: () => this.read((s) => workers.set(s.workers.length)),
    });
    const slots = new Gauge({
      name: 'kiln_encode_slots_online',
      help: 'Encode slots online per pool: the concurrency of the workers online that run it',
      labelNames: ['pool'],
      registers,
      collect: () => this.read((s) => this.setSlots(slots, s.workers)),
    });
  }

  /** A pool seen once stays listed, at 0 when no worker runs it any more. */
  private setSlots(gauge: Gauge<'pool'>, workers: OnlineWorker[]): void {
    const now = slotsByPool(workers);
    for (const pool of Object.keys(now)) this.pools.add(pool);
    for (const pool of this.pools) gauge.set({ pool }, now[pool] ?? 0);
  }

  /** Applies this scrape's snapshot to a gauge; without one (Redis away) the gauge keeps its values. */
  private async read(apply: (s: FleetSnapshot) => void): Promise<void> {
    const snapshot = await (this.inFlight ??= this.snapshot().finally(() => (this.inFlight = undefined)));
    if (snapshot) apply(snapshot);
  }

  /** Workers and queue depth, or undefined when Redis failed or took longer than the timeout. */
  private async snapshot(): Promise<FleetSnapshot | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.timeoutMs ?? SCRAPE_TIMEOUT_MS);
    });
    // Never rejects: a read that fails after the timeout won must not become an unhandled rejection.
    const read = Promise.all([this.deps.fleet.online(), this.deps.queue.byPriority()]).then(
      ([workers, byPriority]): FleetSnapshot => ({ workers, byPriority: depthByPriority(byPriority) }),
      (err: unknown) => {
        this.deps.logger.warn({ err }, 'fleet gauges: could not read the fleet; keeping the last values');
        return undefined;
      },
    );
    const snapshot = await Promise.race([read, timeout.then(() => 'timeout' as const)]);
    clearTimeout(timer);
    if (snapshot !== 'timeout') return snapshot;
    this.deps.logger.warn('fleet gauges: Redis did not answer in time; keeping the last values');
    return undefined;
  }
}

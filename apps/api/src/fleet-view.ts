import type { Logger } from '@kiln/logger';
import { FleetRepository, type QueueDepthSource } from '@kiln/scheduler';
import type { RedisClient } from '@kiln/jobs';
import type { Registry } from 'prom-client';
import { FleetMetrics } from './services/fleet-metrics.js';
import { FleetService } from './services/fleet.service.js';

/**
 * The fleet view's parts on the API: the service behind `GET /v1/admin/fleet` and the fleet
 * gauges on `registry` (registered whether or not admin credentials are set: autoscalers scrape
 * `/metrics`). `queue` says how many jobs wait; the registry of workers is read on `redis`.
 */
export function createFleetView(opts: {
  redis: RedisClient;
  prefix: string;
  queue: QueueDepthSource;
  registry: Registry;
  logger: Logger;
}): FleetService {
  const fleet = new FleetRepository(opts.redis, opts.prefix);
  new FleetMetrics(opts.registry, { fleet, queue: opts.queue, logger: opts.logger.child({ component: 'fleet' }) });
  return new FleetService({ fleet, queue: opts.queue });
}

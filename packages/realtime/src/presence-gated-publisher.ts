import { createRedisConnection, type RedisClient, type RedisTarget } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { Registry } from 'prom-client';
import { GatedPublisher, type GatedPublisherOptions } from './gated-publisher.js';
import { OccupancyMirror } from './occupancy-mirror.js';
import { OccupancyRepository } from './occupancy.repository.js';
import type { PusherSettings } from './pusher-settings.js';
import { PusherTransport } from './pusher-transport.js';
import { RealtimeMetrics } from './realtime-metrics.js';

/** The parts of presence-gated publishing an app holds: it starts and stops the mirror, and flushes the publisher. */
export interface PresenceGatedPublishing {
  metrics: RealtimeMetrics;
  transport: PusherTransport;
  mirror: OccupancyMirror;
  publisher: GatedPublisher;
}

/**
 * Wires a publisher that spends a Pusher message only on occupied channels (ARCHITECTURE §4): the
 * occupancy mirror on `redis` (kept fresh over a subscriber connection of its own), the Pusher
 * transport and the gated publisher, with their metrics in `registry`. Every app that announces
 * jobs (the API, workers) builds it this way; the mirror still has to be started.
 */
export function createPresenceGatedPublisher(deps: {
  redis: RedisClient;
  /** Where the mirror's subscriber connects (REDIS_URL and KILN_REDIS_CLUSTER). */
  redisTarget: RedisTarget;
  prefix: string;
  settings: PusherSettings;
  registry: Registry;
  logger: Logger;
  options?: GatedPublisherOptions;
}): PresenceGatedPublishing {
  const metrics = new RealtimeMetrics(deps.registry);
  const transport = new PusherTransport(deps.settings, metrics);
  const mirror = new OccupancyMirror({
    repo: new OccupancyRepository(deps.redis, deps.prefix),
    subscriber: createRedisConnection(deps.redisTarget),
    logger: deps.logger.child({ component: 'occupancy-mirror' }),
  });
  const publisher = new GatedPublisher({
    ...deps.options,
    gate: mirror,
    sink: transport,
    metrics,
    logger: deps.logger.child({ component: 'publisher' }),
  });
  return { metrics, transport, mirror, publisher };
}

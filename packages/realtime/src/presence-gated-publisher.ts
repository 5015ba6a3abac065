import { pusherSettings } from '@kiln/config';
import { createRedisConnection, redisTarget, type RedisClient } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { Registry } from 'prom-client';
import { GatedPublisher, type GatedPublisherOptions } from './gated-publisher.js';
import { OccupancyMirror } from './occupancy-mirror.js';
import { OccupancyRepository } from './occupancy.repository.js';
import { PusherTransport } from './pusher-transport.js';
import { RealtimeMetrics } from './realtime-metrics.js';

/** The parts of presence-gated publishing an app holds: it starts and stops the mirror, and flushes the publisher. */
export interface PresenceGatedPublishing {
  metrics: RealtimeMetrics;
  transport: PusherTransport;
  mirror: OccupancyMirror;
  publisher: GatedPublisher;
  /** The occupied set in Redis (the API opens authorization leases on it). */
  occupancy: OccupancyRepository;
}

/** What a publishing app's config holds for it: Redis, the key prefix, the Pusher app and the progress interval. */
export type PublisherConfig = Parameters<typeof pusherSettings>[0] &
  Parameters<typeof redisTarget>[0] & { KILN_REDIS_PREFIX: string; KILN_PROGRESS_INTERVAL_MS: number };

/**
 * Wires a publisher that spends a Pusher message only on occupied channels (ARCHITECTURE §4): the
 * occupancy mirror on `redis` (kept fresh over a subscriber connection of its own), the Pusher
 * transport and the gated publisher, with their metrics in `registry`, all from the app's config.
 * Every app that announces jobs (the API, workers) builds it this way; the mirror still has to be started.
 */
export function createPresenceGatedPublisher(deps: {
  redis: RedisClient;
  config: PublisherConfig;
  registry: Registry;
  logger: Logger;
  options?: GatedPublisherOptions;
}): PresenceGatedPublishing {
  const { config } = deps;
  const metrics = new RealtimeMetrics(deps.registry);
  const transport = new PusherTransport(pusherSettings(config), metrics);
  const occupancy = new OccupancyRepository(deps.redis, config.KILN_REDIS_PREFIX);
  const mirror = new OccupancyMirror({
    repo: occupancy,
    subscriber: createRedisConnection(redisTarget(config)),
    logger: deps.logger.child({ component: 'occupancy-mirror' }),
  });
  const publisher = new GatedPublisher({
    progressIntervalMs: config.KILN_PROGRESS_INTERVAL_MS,
    ...deps.options,
    gate: mirror,
    sink: transport,
    metrics,
    logger: deps.logger.child({ component: 'publisher' }),
  });
  return { metrics, transport, mirror, publisher, occupancy };
}

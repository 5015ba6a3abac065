import { createServer } from 'node:http';
import { closeServer, type BuiltApp } from '@kiln/app-kit';
import { pusherSettings } from '@kiln/config';
import { createRedisConnection, KILN_CHANNEL_PREFIXES, redisTarget } from '@kiln/jobs';
import { createLogger } from '@kiln/logger';
import {
  GatedPublisher,
  OccupancyReconciler,
  OccupancyRepository,
  PusherTransport,
  Readiness,
  RealtimeMetrics,
  RedisOccupancyGate,
  WebhookVerifier,
} from '@kiln/realtime';
import type { Express } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './app.js';
import type { WebhooksConfig } from './config.js';
import { OccupancyMetrics } from './occupancy-metrics.js';
import { OccupancyService } from './occupancy.service.js';

/** The webhooks app built by {@link buildWebhooks}: the Express app (for supertest) and its server. */
export interface WebhooksBuild extends BuiltApp {
  app: Express;
}

/**
 * Wires the webhooks app from its config: Redis occupancy, a publisher that asks Redis directly
 * (a sync must see the change it just applied), the signature verifier and the reconciler that
 * repairs missed webhooks. `start()` starts the reconciler; `stop()` stops accepting, stops the
 * reconciler, flushes events and quits Redis.
 */
export function buildWebhooks(
  config: WebhooksConfig,
  logger = createLogger({ name: 'webhooks', level: config.KILN_LOG_LEVEL }),
): WebhooksBuild {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const redis = createRedisConnection(redisTarget(config));
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  const occupancyRepo = new OccupancyRepository(redis, config.KILN_REDIS_PREFIX);
  const realtimeMetrics = new RealtimeMetrics(registry);
  const settings = pusherSettings(config);
  const transport = new PusherTransport(settings, realtimeMetrics);
  const publisher = new GatedPublisher({
    gate: new RedisOccupancyGate(occupancyRepo),
    sink: transport,
    metrics: realtimeMetrics,
    logger: logger.child({ component: 'publisher' }),
  });
  const metrics = new OccupancyMetrics(registry);
  const occupancy = new OccupancyService({
    occupancy: occupancyRepo,
    publisher,
    metrics,
    logger: logger.child({ component: 'occupancy' }),
    replayWindowMs: config.KILN_PUSHER_REPLAY_WINDOW_S * 1000,
    vacatedDelayMs: config.KILN_VACATED_DELAY_MS,
  });
  const readiness = new Readiness({ redis: [redis], pusher: transport });
  const reconciler = new OccupancyReconciler({
    lister: transport,
    repo: occupancyRepo,
    apply: (events) => occupancy.applyAll(events, 'repair'),
    prefixes: KILN_CHANNEL_PREFIXES,
    logger: logger.child({ component: 'reconciler' }),
  });
  const app = createApp({
    logger,
    registry,
    verifier: new WebhookVerifier([{ key: settings.key, secret: settings.secret }]),
    occupancy,
    metrics,
    ready: () => readiness.check(),
  });
  const server = createServer(app);
  let stopping: Promise<void> | undefined;
  return {
    app,
    server,
    start: async () => reconciler.start(config.KILN_RECONCILE_INTERVAL_S * 1000),
    stop: () =>
      (stopping ??= (async () => {
        await closeServer(server);
        await reconciler.stop();
        await occupancy.flushDeferred();
        await publisher.flush();
        await redis.quit().catch(() => undefined);
      })()),
  };
}

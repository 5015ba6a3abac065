import { loadConfig, loadConfigOrExit, pusherSettings } from '@kiln/config';
import { createRedisConnection } from '@kiln/jobs';
import { createLogger, installShutdown } from '@kiln/logger';
import { CUSTOMER_CHANNEL_PREFIX } from '@kiln/jobs';
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
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './app.js';
import { webhooksConfigSchema } from './config.js';
import { OccupancyMetrics } from './occupancy-metrics.js';
import { OccupancyService } from './occupancy.service.js';

const config = loadConfigOrExit('webhooks', () => loadConfig(webhooksConfigSchema, process.env));
const logger = createLogger({ name: 'webhooks', level: config.KILN_LOG_LEVEL });
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const redis = createRedisConnection(config.REDIS_URL);
redis.on('error', (err) => logger.warn({ err }, 'redis error'));
const occupancyRepo = new OccupancyRepository(redis, config.KILN_REDIS_PREFIX);
const realtimeMetrics = new RealtimeMetrics(registry);
const settings = pusherSettings(config);
const transport = new PusherTransport(settings, realtimeMetrics);
// The webhooks app asks Redis directly: a sync must see the change it just applied.
const publisher = new GatedPublisher(
  new RedisOccupancyGate(occupancyRepo),
  transport,
  realtimeMetrics,
  logger.child({ component: 'publisher' }),
);
const metrics = new OccupancyMetrics(registry);
const occupancy = new OccupancyService(occupancyRepo, publisher, metrics, logger.child({ component: 'occupancy' }), {
  replayWindowMs: config.KILN_PUSHER_REPLAY_WINDOW_S * 1000,
});

const readiness = new Readiness([redis], transport);
const reconciler = new OccupancyReconciler(
  transport,
  occupancyRepo,
  (events) => occupancy.applyAll(events, 'repair'),
  CUSTOMER_CHANNEL_PREFIX,
  logger.child({ component: 'reconciler' }),
);

const app = createApp({
  logger,
  registry,
  verifier: new WebhookVerifier([{ key: settings.key, secret: settings.secret }]),
  occupancy,
  metrics,
  ready: () => readiness.check(),
});
const server = app.listen(config.KILN_WEBHOOKS_PORT, () => {
  logger.info(
    { port: config.KILN_WEBHOOKS_PORT, reconcileIntervalS: config.KILN_RECONCILE_INTERVAL_S },
    'webhooks listening',
  );
  reconciler.start(config.KILN_RECONCILE_INTERVAL_S * 1000);
});
server.on('error', (err) => {
  logger.fatal({ err }, 'webhooks could not listen');
  process.exit(1);
});

installShutdown(
  logger,
  async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await reconciler.stop();
    await publisher.flush();
    await redis.quit().catch(() => undefined);
  },
  10_000,
);

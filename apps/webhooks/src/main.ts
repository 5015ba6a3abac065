import { loadConfig, loadConfigOrExit, pusherSettings } from '@kiln/config';
import { createRedisConnection } from '@kiln/jobs';
import { createLogger } from '@kiln/logger';
import { GatedPublisher, OccupancyRepository, PusherTransport, RealtimeMetrics, RedisOccupancyGate, WebhookVerifier } from '@kiln/realtime';
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
const publisher = new GatedPublisher(new RedisOccupancyGate(occupancyRepo), new PusherTransport(settings, realtimeMetrics), realtimeMetrics, logger.child({ component: 'publisher' }));
const metrics = new OccupancyMetrics(registry);
const occupancy = new OccupancyService(occupancyRepo, publisher, metrics, logger.child({ component: 'occupancy' }));

const app = createApp({
  logger,
  registry,
  verifier: new WebhookVerifier([{ key: settings.key, secret: settings.secret }]),
  occupancy,
  metrics,
  ready: async () => ({ redis: await redis.ping().then(() => true, () => false) }),
});
const server = app.listen(config.KILN_WEBHOOKS_PORT, () => logger.info({ port: config.KILN_WEBHOOKS_PORT }, 'webhooks listening'));
server.on('error', (err) => {
  logger.fatal({ err }, 'webhooks could not listen');
  process.exit(1);
});

let stopping: Promise<void> | undefined;
function shutdown(signal: string): Promise<void> {
  stopping ??= (async () => {
    logger.info({ signal }, 'webhooks shutting down');
    const hardExit = setTimeout(() => process.exit(1), 10_000);
    hardExit.unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await publisher.flush();
    await redis.quit().catch(() => undefined);
    logger.flush();
    process.exit(0);
  })();
  return stopping;
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

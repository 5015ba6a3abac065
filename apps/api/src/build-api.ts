import { closeServer, type BuiltApp } from '@kiln/app-kit';
import { customerLimits } from '@kiln/config';
import {
  cancelChannel,
  createRequestRedisConnection,
  EncodeQueues,
  JobRepository,
  JobStatsRepository,
  PRESET_POOLS,
  redisReady,
  UsageRepository,
  redisTarget,
  type RedisClient,
} from '@kiln/jobs';
import {
  WebhookDeliveryRepository,
  WebhookEmitter,
  WebhookEndpointRepository,
  WebhookQueue,
} from '@kiln/customer-webhooks';
import { createLogger, type Logger } from '@kiln/logger';
import { createPresenceGatedPublisher, JobAnnouncer, Readiness } from '@kiln/realtime';
import { createScheduling, QueueView } from '@kiln/scheduler';
import { createOutputStorage, createS3Bucket, S3UploadStorage, UploadStorage } from '@kiln/storage';
import type { Express } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp, type ApiDeps } from './app.js';
import type { ApiConfig } from './config.js';
import { createFleetView } from './fleet-view.js';
import { createHttpServer } from './http-server.js';
import { redisRateLimitStore } from './middleware/rate-limit.middleware.js';
import { publicPusherSettings } from './public-pusher.js';
import type { FleetService } from './services/fleet.service.js';
import { IdempotencyRepository } from './services/idempotency.repository.js';
import { InputPolicy } from './services/input-policy.js';
import { JobDeletionService } from './services/job-deletion.service.js';
import type { JobRetentionService } from './services/job-retention.service.js';
import { startJobRetention } from './services/job-retention.start.js';
import { JobService } from './services/job.service.js';
import { QueueWatch } from './services/queue-watch.js';
import { randomSigningSecret, SignedTokensService } from './services/signed-tokens.service.js';
import { StatsService } from './services/stats.service.js';
import { DEFAULT_QUEUED_RETRY_AFTER_S, UsageService } from './services/usage.service.js';

/** The API built by {@link buildApi}: the server `main.ts` listens on and, once started, the Express app (for supertest). */
export interface ApiBuild extends BuiltApp {
  app: Express;
  /** What the app was made from, once started: tests make a second app on the same clients from it. */
  deps: ApiDeps;
}

/**
 * What a test replaces in {@link buildApi}; `main.ts` and the launcher pass none but the logger.
 * Everything else (clients, queue, publisher, storage, services) is wired as in production.
 */
export interface ApiOverrides {
  /** Default: a root logger at KILN_LOG_LEVEL. */
  logger?: Logger;
  /** How workers are told to cancel a job. Default: a message on the Redis cancel channel. */
  notifyCancel?: (jobId: string) => Promise<unknown>;
  /** Dependencies of the Express app to replace (a fixed readiness, another upload limit). */
  app?: Partial<ApiDeps>;
}

/** The Redis connections, queue and realtime parts the API's services share. */
function connect(config: ApiConfig, logger: Logger, registry: Registry) {
  // The connections requests use fail fast (503) instead of queueing commands while Redis is away.
  const redisOptions = { commandTimeoutMs: config.KILN_REDIS_COMMAND_TIMEOUT_MS };
  const redis = createRequestRedisConnection(redisTarget(config), redisOptions);
  // The job store gets a connection of its own: an ioredis pipeline copies every script defined on
  // its connection, and BullMQ defines dozens on the queue's, which made each MULTI of a create slow.
  const storeRedis = createRequestRedisConnection(redisTarget(config), redisOptions);
  for (const connection of [redis, storeRedis]) connection.on('error', (err) => logger.warn({ err }, 'redis error'));
  // One BullMQ queue per pool, all made now so the admin board lists every one.
  const queues = new EncodeQueues(redis, config.KILN_REDIS_PREFIX);
  for (const pool of PRESET_POOLS) queues.for(pool);
  const { transport, mirror, publisher } = createPresenceGatedPublisher({
    redis,
    config,
    registry,
    logger,
  });
  const readiness = new Readiness({ redis: [redis, storeRedis], pusher: transport });
  const webhookQueue = new WebhookQueue(redis, config.KILN_REDIS_PREFIX);
  return { redis, storeRedis, queues, transport, mirror, publisher, readiness, webhookQueue };
}

/**
 * Local uploads expire after KILN_UPLOAD_TTL_H, swept at start and hourly by every API process
 * (deleting is idempotent). In a bucket, an S3 lifecycle rule on `uploads/` does the same job.
 * Either way, uploads older than that stop counting towards their customer's stored bytes.
 */
function startUploadSweep(
  uploads: unknown,
  usage: UsageRepository,
  ttlH: number,
  logger: Logger,
): NodeJS.Timeout | undefined {
  if (ttlH <= 0) return undefined;
  const removeFiles = async () => (uploads instanceof UploadStorage ? uploads.removeOlderThan(ttlH * 3_600_000) : 0);
  const sweep = () =>
    removeFiles()
      .then(async (removed) => {
        const uncounted = await usage.expireUploads(Date.now() - ttlH * 3_600_000);
        if (removed > 0 || uncounted > 0) logger.info({ removed, uncounted, ttlH }, 'expired uploads removed');
      })
      .catch((err: unknown) => logger.warn({ err }, 'could not sweep expired uploads'));
  void sweep();
  return setInterval(sweep, 3_600_000).unref();
}

/**
 * The fair queue jobs wait in, the fleet registry workers heartbeat into, the dispatcher that
 * hands jobs to the pools' BullMQ queues (kicked after every create; the workers' own timers do
 * the rest) and the view of where queued jobs stand.
 */
function createApiScheduling(
  config: ApiConfig,
  redis: RedisClient,
  queues: EncodeQueues,
  repo: JobRepository,
  logger: Logger,
) {
  const { line, fleet, dispatcher } = createScheduling({
    redis,
    prefix: config.KILN_REDIS_PREFIX,
    queues,
    repo,
    logger,
  });
  return { line, fleet, dispatcher, queueView: new QueueView({ line, fleet }) };
}

/** Storage and the job services on top of the shared clients. */
function createServices(
  config: ApiConfig,
  clients: ReturnType<typeof connect>,
  { logger, notifyCancel }: { logger: Logger; notifyCancel?: ApiOverrides['notifyCancel'] },
) {
  const { redis, storeRedis, queues, publisher } = clients;
  const repo = new JobRepository(storeRedis, config.KILN_REDIS_PREFIX);
  const scheduling = createApiScheduling(config, storeRedis, queues, repo, logger);
  const usageRepo = new UsageRepository(storeRedis, config.KILN_REDIS_PREFIX);
  const usage = new UsageService({
    repo: usageRepo,
    limits: customerLimits(config),
    // Waiting helps once the customer's next queued job starts: its estimated start.
    queuedRetryAfter: async (customerId) =>
      (await scheduling.queueView.forCustomer(customerId, 1))[0]?.etaSeconds ?? DEFAULT_QUEUED_RETRY_AFTER_S,
  });
  // With KILN_S3_BUCKET, outputs and uploads share one S3 client; otherwise both are under KILN_STORAGE_DIR.
  const bucket = createS3Bucket(config);
  const storage = createOutputStorage(config, bucket);
  const uploads = bucket ? new S3UploadStorage(bucket) : new UploadStorage(config.KILN_STORAGE_DIR);
  const webhooks = {
    endpoints: new WebhookEndpointRepository(storeRedis, config.KILN_REDIS_PREFIX),
    deliveries: new WebhookDeliveryRepository(storeRedis, config.KILN_REDIS_PREFIX),
    queue: clients.webhookQueue,
    allowHosts: config.KILN_WEBHOOK_ALLOW_HOSTS,
    secretOverlapMs: config.KILN_WEBHOOK_SECRET_OVERLAP_H * 3_600_000,
  };
  const jobs = new JobService({
    repo,
    queues,
    line: scheduling.line,
    kick: () => scheduling.dispatcher.kick(),
    runningCap: (customerId) => usage.limitsFor(customerId).running ?? 0,
    announcer: new JobAnnouncer(publisher),
    inputPolicy: new InputPolicy(config.KILN_INPUT_ROOTS, uploads),
    logger: logger.child({ component: 'jobs' }),
    notifyCancel: notifyCancel ?? ((id) => redis.publish(cancelChannel(config.KILN_REDIS_PREFIX), id)),
    idempotency: new IdempotencyRepository(redis, config.KILN_REDIS_PREFIX),
    usage,
    webhooks: new WebhookEmitter(webhooks),
  });
  // Undos of creates that answered 503 are tried again as soon as Redis is back.
  for (const connection of [redis, storeRedis]) connection.on('ready', () => void jobs.compensations.retry());
  const deletion = new JobDeletionService({ repo, queues, storage, logger: logger.child({ component: 'jobs' }) });
  const queueWatch = new QueueWatch({
    redis: storeRedis,
    line: scheduling.line,
    view: scheduling.queueView,
    gate: clients.mirror,
    publisher,
    logger: logger.child({ component: 'queue-watch' }),
    intervalMs: config.KILN_PROGRESS_INTERVAL_MS,
  });
  return { repo, bucket, storage, uploads, jobs, deletion, ...scheduling, usage, usageRepo, queueWatch, webhooks };
}

/** The token service on KILN_SIGNING_SECRET, or on a secret of this process alone (with a warning) without it. */
function signedTokens(config: ApiConfig, logger: Logger): SignedTokensService {
  if (config.KILN_SIGNING_SECRET) return new SignedTokensService(config.KILN_SIGNING_SECRET);
  logger.warn(
    'KILN_SIGNING_SECRET is not set: signed URLs and viewer tokens use a random secret of this process, so they stop working when it restarts and are refused by any other API process',
  );
  return new SignedTokensService(randomSigningSecret());
}

/** The Express app's dependencies, from the config, the clients and the services. */
function appDeps(
  config: ApiConfig,
  logger: Logger,
  registry: Registry,
  clients: ReturnType<typeof connect>,
  services: ReturnType<typeof createServices> & { fleetView: FleetService },
): ApiDeps {
  const { redis, queues, transport, readiness } = clients;
  return {
    logger,
    registry,
    apiKeys: config.KILN_API_KEYS,
    jobs: services.jobs,
    deletion: services.deletion,
    queueView: services.queueView,
    repo: services.repo,
    storage: services.storage,
    uploads: services.uploads,
    maxUploadBytes: config.KILN_MAX_UPLOAD_BYTES,
    stats: new StatsService(new JobStatsRepository(redis, config.KILN_REDIS_PREFIX)),
    usage: services.usage,
    pusher: transport.client,
    publicPusher: publicPusherSettings(config),
    corsOrigins: config.KILN_DASHBOARD_ORIGINS,
    tokens: signedTokens(config, logger),
    publicUrl: config.KILN_PUBLIC_URL,
    rateLimit: {
      perMinute: config.KILN_RATE_LIMIT_PER_MIN,
      store: redisRateLimitStore(redis, config.KILN_REDIS_PREFIX),
    },
    admin:
      config.KILN_ADMIN_USER && config.KILN_ADMIN_PASSWORD
        ? {
            user: config.KILN_ADMIN_USER,
            password: config.KILN_ADMIN_PASSWORD,
            queues: queues.all(),
            fleet: services.fleetView,
          }
        : undefined,
    ready: () => readiness.check(),
    webhooks: services.webhooks,
  };
}

/**
 * Wires the API from its config: Redis, queue, realtime publisher, storage and services, the
 * HTTP server. `start()` waits for Redis, then makes the Express app, starts the occupancy mirror
 * and the job index backfill; `stop()` stops accepting, lets requests finish, flushes events and closes
 * every client. `main.ts`, the launcher (through it) and tests use the same wiring.
 */
export function buildApi(config: ApiConfig, overrides: ApiOverrides = {}): ApiBuild {
  const logger = overrides.logger ?? createLogger({ name: 'api', level: config.KILN_LOG_LEVEL });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const clients = connect(config, logger, registry);
  const { redis, storeRedis, queues, mirror, publisher } = clients;
  const services = createServices(config, clients, { logger, notifyCancel: overrides.notifyCancel });
  const fleetView = createFleetView({
    redis,
    prefix: config.KILN_REDIS_PREFIX,
    queue: services.line,
    registry,
    logger,
  });
  // The Express app is made once Redis answers: the rate limiter loads its scripts as it is made.
  let app: Express | undefined;
  let deps: ApiDeps | undefined;
  const server = createHttpServer((req, res) => app?.(req, res), {
    idleTimeoutS: config.KILN_HTTP_IDLE_TIMEOUT_S,
    headersTimeoutS: config.KILN_HTTP_HEADERS_TIMEOUT_S,
  });

  let uploadSweep: NodeJS.Timeout | undefined;
  let retention: JobRetentionService | undefined;
  let stopping: Promise<void> | undefined;
  const start = async () => {
    // Without an offline queue, what starts next (the mirror's first read, the rate limiter's
    // scripts) needs both connections up: the API starts once Redis answers, as it always has.
    await Promise.all([redisReady(redis), redisReady(storeRedis)]);
    deps = { ...appDeps(config, logger, registry, clients, { ...services, fleetView }), ...overrides.app };
    app = createApp(deps);
    await mirror.start();
    services.queueWatch.start();
    uploadSweep = startUploadSweep(services.uploads, services.usageRepo, config.KILN_UPLOAD_TTL_H, logger);
    // Indexes of jobs stored before they existed are filled in (once), then finished jobs expire
    // after KILN_JOB_TTL_DAYS (0 keeps them).
    retention = await startJobRetention({
      redis: storeRedis,
      prefix: config.KILN_REDIS_PREFIX,
      repo: services.repo,
      deletion: services.deletion,
      ttlDays: config.KILN_JOB_TTL_DAYS,
      logger: logger.child({ component: 'retention' }),
    });
  };
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(uploadSweep);
      services.jobs.compensations.stop();
      await retention?.stop();
      await closeServer(server);
      await services.dispatcher.stop();
      await services.queueWatch.stop();
      await publisher.flush();
      await queues.close();
      await clients.webhookQueue.close();
      await mirror.stop();
      await Promise.all([redis.quit().catch(() => undefined), storeRedis.quit().catch(() => undefined)]);
      services.bucket?.destroy();
    })());
  return {
    get app() {
      if (!app) throw new Error('the API app exists once start() has resolved');
      return app;
    },
    get deps() {
      if (!deps) throw new Error('the API app exists once start() has resolved');
      return deps;
    },
    server,
    start,
    stop,
  };
}

import { closeServer, type BuiltApp } from '@kiln/app-kit';
import { pusherSettings } from '@kiln/config';
import {
  bullPrefix,
  cancelChannel,
  createRequestRedisConnection,
  DEFAULT_JOB_OPTIONS,
  ENCODE_QUEUE,
  JobRepository,
  JobStatsRepository,
  redisReady,
  redisTarget,
  type EncodeJobData,
} from '@kiln/jobs';
import { createLogger, type Logger } from '@kiln/logger';
import { createPresenceGatedPublisher, JobAnnouncer, Readiness } from '@kiln/realtime';
import { createOutputStorage, createS3Bucket, S3UploadStorage, UploadStorage } from '@kiln/storage';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp, type ApiDeps } from './app.js';
import type { ApiConfig } from './config.js';
import { createHttpServer } from './http-server.js';
import { redisRateLimitStore } from './middleware/rate-limit.middleware.js';
import { publicPusherSettings } from './public-pusher.js';
import { IdempotencyRepository } from './services/idempotency.repository.js';
import { InputPolicy } from './services/input-policy.js';
import { JobDeletionService } from './services/job-deletion.service.js';
import type { JobRetentionService } from './services/job-retention.service.js';
import { startJobRetention } from './services/job-retention.start.js';
import { JobService } from './services/job.service.js';
import { StatsService } from './services/stats.service.js';

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
  const queue = new Queue<EncodeJobData>(ENCODE_QUEUE, {
    connection: redis,
    prefix: bullPrefix(config.KILN_REDIS_PREFIX),
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const { transport, mirror, publisher } = createPresenceGatedPublisher({
    redis,
    redisTarget: redisTarget(config),
    prefix: config.KILN_REDIS_PREFIX,
    settings: pusherSettings(config),
    registry,
    logger,
  });
  const readiness = new Readiness({ redis: [redis, storeRedis], pusher: transport });
  return { redis, storeRedis, queue, transport, mirror, publisher, readiness };
}

/**
 * Local uploads expire after KILN_UPLOAD_TTL_H, swept at start and hourly by every API process
 * (deleting is idempotent). In a bucket, an S3 lifecycle rule on `uploads/` does the same job.
 */
function startUploadSweep(uploads: unknown, ttlH: number, logger: Logger): NodeJS.Timeout | undefined {
  if (!(uploads instanceof UploadStorage) || ttlH <= 0) return undefined;
  const sweep = () =>
    uploads
      .removeOlderThan(ttlH * 3_600_000)
      .then((removed) => removed > 0 && logger.info({ removed, ttlH }, 'expired uploads removed'))
      .catch((err: unknown) => logger.warn({ err }, 'could not sweep expired uploads'));
  void sweep();
  return setInterval(sweep, 3_600_000).unref();
}

/** Storage and the job services on top of the shared clients. */
function createServices(
  config: ApiConfig,
  clients: ReturnType<typeof connect>,
  { logger, notifyCancel }: { logger: Logger; notifyCancel?: ApiOverrides['notifyCancel'] },
) {
  const { redis, storeRedis, queue, publisher } = clients;
  const repo = new JobRepository(storeRedis, config.KILN_REDIS_PREFIX);
  // With KILN_S3_BUCKET, outputs and uploads share one S3 client; otherwise both are under KILN_STORAGE_DIR.
  const bucket = createS3Bucket(config);
  const storage = createOutputStorage(config, bucket);
  const uploads = bucket ? new S3UploadStorage(bucket) : new UploadStorage(config.KILN_STORAGE_DIR);
  const jobs = new JobService({
    repo,
    queue,
    announcer: new JobAnnouncer(publisher),
    inputPolicy: new InputPolicy(config.KILN_INPUT_ROOTS, uploads),
    logger: logger.child({ component: 'jobs' }),
    notifyCancel: notifyCancel ?? ((id) => redis.publish(cancelChannel(config.KILN_REDIS_PREFIX), id)),
    idempotency: new IdempotencyRepository(redis, config.KILN_REDIS_PREFIX),
  });
  // Undos of creates that answered 503 are tried again as soon as Redis is back.
  for (const connection of [redis, storeRedis]) connection.on('ready', () => void jobs.compensations.retry());
  const deletion = new JobDeletionService({ repo, queue, storage, logger: logger.child({ component: 'jobs' }) });
  return { repo, bucket, storage, uploads, jobs, deletion };
}

/** The Express app's dependencies, from the config, the clients and the services. */
function appDeps(
  config: ApiConfig,
  logger: Logger,
  registry: Registry,
  clients: ReturnType<typeof connect>,
  services: ReturnType<typeof createServices>,
): ApiDeps {
  const { redis, queue, transport, readiness } = clients;
  return {
    logger,
    registry,
    apiKeys: config.KILN_API_KEYS,
    jobs: services.jobs,
    deletion: services.deletion,
    repo: services.repo,
    storage: services.storage,
    uploads: services.uploads,
    maxUploadBytes: config.KILN_MAX_UPLOAD_BYTES,
    stats: new StatsService(new JobStatsRepository(redis, config.KILN_REDIS_PREFIX)),
    pusher: transport.client,
    publicPusher: publicPusherSettings(config),
    corsOrigins: config.KILN_DASHBOARD_ORIGINS,
    rateLimit: {
      perMinute: config.KILN_RATE_LIMIT_PER_MIN,
      store: redisRateLimitStore(redis, config.KILN_REDIS_PREFIX),
    },
    admin:
      config.KILN_ADMIN_USER && config.KILN_ADMIN_PASSWORD
        ? { user: config.KILN_ADMIN_USER, password: config.KILN_ADMIN_PASSWORD, queues: [queue] }
        : undefined,
    ready: () => readiness.check(),
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
  const { redis, storeRedis, queue, mirror, publisher } = clients;
  const services = createServices(config, clients, { logger, notifyCancel: overrides.notifyCancel });
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
    deps = { ...appDeps(config, logger, registry, clients, services), ...overrides.app };
    app = createApp(deps);
    await mirror.start();
    uploadSweep = startUploadSweep(services.uploads, config.KILN_UPLOAD_TTL_H, logger);
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
      await publisher.flush();
      await queue.close();
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

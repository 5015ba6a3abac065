import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { closeServer, healthRouter, notFoundHandler, readOnlyMethods, type BuiltApp } from '@kiln/app-kit';
import {
  bullPrefix,
  cancelChannel,
  CHUNK_QUEUE,
  ChunkPlanRepository,
  type ChunkJobData,
  createRedisConnection,
  EncodeQueues,
  encodeQueueName,
  JobRepository,
  TERMINAL_STATUSES,
  redisTarget,
  type EncodeJobData,
  type RedisClient,
} from '@kiln/jobs';
import { createLogger, type Logger } from '@kiln/logger';
import { FfmpegMediaAdapter, minimalEnv } from '@kiln/media';
import type { WebhookEmitter } from '@kiln/customer-webhooks';
import type { GatedPublisher } from '@kiln/realtime';
import { createPresenceGatedPublisher, JobAnnouncer, Readiness } from '@kiln/realtime';
import { createScheduling, FleetRepository } from '@kiln/scheduler';
import { createChunkStore, createOutputStorage, createS3Bucket, type S3Bucket } from '@kiln/storage';
import { Queue, Worker, type Job as BullJob } from 'bullmq';
import express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { WorkerConfig } from './config.js';
import { EncodeJobHandler } from './encode-job.handler.js';
import { ChunkJobHandler } from './chunk-job.handler.js';
import { FfmpegChunkMedia } from './chunk-media.adapter.js';
import { ChunkedEncode } from './chunked-encode.js';
import { EncodeSlots } from './encode-slots.js';
import { FleetHeartbeat, fleetIdentity } from './fleet-heartbeat.js';
import { InputResolver } from './input-resolver.js';
import { LimitedMediaAdapter } from './limited-media.adapter.js';
import { LOCK_LOST_REASON } from './run.errors.js';
import { RunningJobs } from './running-jobs.js';
import { ScratchRoot } from './scratch-root.js';

/** Stalls (a worker died or froze holding the job) after which BullMQ fails the job instead of handing it on. */
const MAX_STALLED_COUNT = 2;
import { WorkerMetrics } from './worker-metrics.js';
import { createWebhookDeliveries } from './webhook-delivery.worker.js';

/** The worker built by {@link buildWorker}: its metrics server, the BullMQ workers and what tests look at. */
export interface WorkerBuild extends BuiltApp {
  /** One BullMQ worker per pool it runs (KILN_WORKER_POOLS), sharing the encode slots. */
  workers: Worker<EncodeJobData>[];
  /** The BullMQ worker of chunk encodes (split and stitch), sharing the same slots. */
  chunkWorker: Worker<ChunkJobData>;
  /** Where outputs go, for the ready line: `local` or `s3` and the bucket's name. */
  storage: { kind: 'local' | 's3'; bucket: string | undefined };
}

/** ffmpeg with the worker's watchdog, budget and sandbox settings. */
function createFfmpeg(config: WorkerConfig): FfmpegMediaAdapter {
  return new FfmpegMediaAdapter({
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    stallTimeoutMs: config.KILN_FFMPEG_STALL_S * 1000,
    maxPixels: config.KILN_MAX_INPUT_PIXELS,
    maxInputSeconds: config.KILN_MAX_INPUT_SECONDS,
    budget: { factor: config.KILN_ENCODE_BUDGET_FACTOR, floorSeconds: config.KILN_ENCODE_BUDGET_FLOOR_S },
    // ffmpeg and ffprobe see PATH, locale and time zone only: none of this process's secrets.
    sandbox: { env: minimalEnv(process.env), maxMemoryMb: config.KILN_FFMPEG_MAX_MEMORY_MB },
  });
}

/** ffmpeg behind the input limits (KILN_MAX_INPUT_*). */
function createMedia(config: WorkerConfig, ffmpeg: FfmpegMediaAdapter): LimitedMediaAdapter {
  return new LimitedMediaAdapter(ffmpeg, {
    maxSeconds: config.KILN_MAX_INPUT_SECONDS,
    maxPixels: config.KILN_MAX_INPUT_PIXELS,
    maxFps: config.KILN_MAX_INPUT_FPS,
  });
}

/** The BullMQ events a worker answers: deferred stall failures, lost locks, stalls. */
function watchWorker(
  worker: Worker<EncodeJobData>,
  handler: EncodeJobHandler,
  queue: Queue<EncodeJobData>,
  logger: Logger,
): void {
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  // BullMQ fails a job that stalled too often when a worker next picks it up, without running the
  // processor: its stall check counts the stall on the job (stalledCounter) and marks it for a
  // "deferred failure", and that arrives here as a 'failed' event.
  worker.on('failed', (job) => {
    if (!job?.id || !job.deferredFailure || job.stalledCounter <= MAX_STALLED_COUNT) return;
    handler
      .onStalled(job.id, async () => 'failed')
      .catch((e: unknown) => logger.warn({ err: e, jobId: job.id }, 'could not record a stalled job as failed'));
  });
  // A job whose lock could not be renewed (Redis unreachable or paused past KILN_WORKER_STALLED_S)
  // may belong to another worker already: its ffmpeg stops now, and the run ends without writing.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) {
      if (worker.cancelJob(jobId, LOCK_LOST_REASON))
        logger.warn({ jobId }, 'lost the lock on a running job; stopping its run');
    }
  });
  worker.on('stalled', (jobId: string) => {
    handler
      .onStalled(jobId, async () => (await queue.getJob(jobId))?.getState())
      .catch((err: unknown) => logger.warn({ err, jobId }, 'could not handle a stalled job'));
  });
}

/** Logs what a sweep of dead workers' scratch folders removed. */
const logSwept = (logger: Logger) => (n: number) =>
  n > 0 && logger.info({ folders: n }, 'removed scratch folders of workers that died');

/** The worker's HTTP side: `/healthz` (alive and running), `/readyz` (Redis and Pusher answer) and `/metrics`. */
function createHttpSide(registry: Registry, readiness: Readiness, running: () => boolean): Server {
  const http = express();
  http.disable('x-powered-by');
  http.use(readOnlyMethods);
  http.use(
    healthRouter({
      registry,
      healthy: running,
      ready: async () => ({ ...(await readiness.check()), running: running() }),
    }),
  );
  http.use(notFoundHandler);
  return createServer(http);
}

/** The realtime side of a worker: the occupancy mirror, the gated publisher and the readiness checks. */
function connectRealtime(config: WorkerConfig, logger: Logger, registry: Registry, redis: RedisClient) {
  const { transport, mirror, publisher } = createPresenceGatedPublisher({
    redis,
    config,
    registry,
    logger,
  });
  const readiness = new Readiness({ redis: [redis], pusher: transport });
  return { mirror, readiness, publisher };
}

/** The encode handler with its media, storage and input resolver. */
function createHandler(
  config: WorkerConfig,
  logger: Logger,
  parts: {
    registry: Registry;
    redis: RedisClient;
    publisher: GatedPublisher;
    slots: EncodeSlots;
    scratch: ScratchRoot;
    webhooks: WebhookEmitter;
  },
) {
  // With KILN_S3_BUCKET, outputs and uploads share one S3 client; otherwise both are under KILN_STORAGE_DIR.
  const bucket = createS3Bucket(config);
  const storage = createOutputStorage(config, bucket, path.join(parts.scratch.dir, 'outputs'));
  const repo = new JobRepository(parts.redis, config.KILN_REDIS_PREFIX);
  const running = new RunningJobs();
  const announcer = new JobAnnouncer(parts.publisher);
  const threads = Math.max(1, Math.floor(availableParallelism() / config.KILN_WORKER_CONCURRENCY));
  const ffmpeg = createFfmpeg(config);
  const chunks = createChunking(config, logger, { ...parts, repo, announcer, bucket, threads, running, ffmpeg });
  const handler = new EncodeJobHandler({
    repo,
    announcer,
    media: createMedia(config, ffmpeg),
    storage,
    inputs: new InputResolver({
      roots: config.KILN_INPUT_ROOTS,
      storageDir: config.KILN_STORAGE_DIR,
      maxInputBytes: config.KILN_MAX_INPUT_BYTES,
      timeoutMs: config.KILN_INPUT_TIMEOUT_S * 1000,
      allowHosts: config.KILN_INPUT_ALLOW_HOSTS,
      remoteUploads: bucket,
    }),
    slots: parts.slots,
    scratchDir: parts.scratch.dir,
    metrics: new WorkerMetrics(parts.registry),
    running,
    logger,
    progressIntervalMs: config.KILN_PROGRESS_INTERVAL_MS,
    threads,
    webhooks: parts.webhooks,
    chunking: chunks.chunking,
    oneDecode: config.KILN_ONE_DECODE,
  });
  return { handler, bucket, storage, repo, running, chunks };
}

/**
 * Split-and-stitch (KILN_CHUNK_MIN_S, KILN_CHUNK_SECONDS): the plans in Redis, the chunk files
 * beside the outputs, the chunk queue, its handler and the job's side of it.
 */
function createChunking(
  config: WorkerConfig,
  logger: Logger,
  parts: {
    redis: RedisClient;
    repo: JobRepository;
    announcer: JobAnnouncer;
    slots: EncodeSlots;
    scratch: ScratchRoot;
    bucket: S3Bucket | undefined;
    threads: number;
    running: RunningJobs;
    ffmpeg: FfmpegMediaAdapter;
  },
) {
  const plans = new ChunkPlanRepository(parts.redis, config.KILN_REDIS_PREFIX);
  const store = createChunkStore(config.KILN_STORAGE_DIR, parts.bucket);
  const media = new FfmpegChunkMedia(parts.ffmpeg, config.KILN_MAX_INPUT_PIXELS);
  const queue = new Queue<ChunkJobData>(CHUNK_QUEUE, {
    connection: parts.redis,
    prefix: bullPrefix(config.KILN_REDIS_PREFIX),
  });
  const common = { plans, store, media, announcer: parts.announcer, threads: parts.threads };
  const progressIntervalMs = config.KILN_PROGRESS_INTERVAL_MS;
  const chunking = new ChunkedEncode({
    ...common,
    repo: parts.repo,
    queue,
    minSeconds: config.KILN_CHUNK_MIN_S,
    chunkSeconds: config.KILN_CHUNK_SECONDS,
    progressIntervalMs,
    logger,
  });
  const handler = new ChunkJobHandler({
    ...common,
    repo: parts.repo,
    running: parts.running,
    slots: parts.slots,
    scratchDir: parts.scratch.dir,
    redisPrefix: config.KILN_REDIS_PREFIX,
    progressIntervalMs,
    logger: logger.child({ component: 'chunks' }),
  });
  return { chunking, handler, queue };
}

/**
 * The BullMQ worker of chunk encodes. It takes as many chunks as the process has encode slots
 * (no prefetch): a chunk waiting here for a slot is one another idle worker could have run.
 */
function createChunkWorker(config: WorkerConfig, handler: ChunkJobHandler, logger: Logger): Worker<ChunkJobData> {
  const worker = new Worker<ChunkJobData>(CHUNK_QUEUE, (job, token, signal) => handler.process(job, token, signal), {
    connection: createRedisConnection(redisTarget(config)),
    prefix: bullPrefix(config.KILN_REDIS_PREFIX),
    concurrency: config.KILN_WORKER_CONCURRENCY,
    lockDuration: config.KILN_WORKER_STALLED_S * 1000,
    stalledInterval: config.KILN_WORKER_STALLED_S * 1000,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  worker.on('error', (err) => logger.error({ err }, 'chunk worker error'));
  worker.on('stalled', (jobId: string) =>
    logger.warn({ jobId }, 'chunk stalled (its worker died or froze); handed to another worker'),
  );
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) worker.cancelJob(jobId, LOCK_LOST_REASON);
  });
  return worker;
}

/**
 * This worker's record in the fleet registry, beating with the jobs it runs. Pools: KILN_WORKER_POOLS.
 */
function createHeartbeat(
  config: WorkerConfig,
  logger: Logger,
  redis: RedisClient,
  running: RunningJobs,
): FleetHeartbeat {
  return new FleetHeartbeat({
    fleet: new FleetRepository(redis, config.KILN_REDIS_PREFIX),
    running,
    identity: fleetIdentity({
      pools: config.KILN_WORKER_POOLS,
      concurrency: config.KILN_WORKER_CONCURRENCY,
      prefetch: config.KILN_WORKER_PREFETCH,
    }),
    logger,
  });
}

/**
 * After KILN_SHUTDOWN_GRACE_S, running jobs go back to the queue: the handler hands over and
 * BullMQ's workers cancel them. Returns the timer, cleared when every job finished in time.
 */
function scheduleHandover(
  config: WorkerConfig,
  logger: Logger,
  parts: { slots: EncodeSlots; handler: EncodeJobHandler; chunks: ChunkJobHandler; workers: Worker[] },
): NodeJS.Timeout {
  return setTimeout(() => {
    // A job whose encode is done may still be announcing its final event: that is not a handover.
    if (parts.slots.busy > 0)
      logger.warn(
        { graceS: config.KILN_SHUTDOWN_GRACE_S, encoding: parts.slots.busy },
        'jobs still running after the grace period; handing them back to the queue',
      );
    else
      logger.info(
        { graceS: config.KILN_SHUTDOWN_GRACE_S },
        'grace period over; no encode running, finishing final announcements',
      );
    parts.handler.beginHandover();
    parts.chunks.beginHandover();
    for (const worker of parts.workers) worker.cancelAllJobs('worker shutting down');
  }, config.KILN_SHUTDOWN_GRACE_S * 1000);
}

/**
 * The worker's part in scheduling: its record in the fleet registry (a heartbeat every 5 s, which
 * is what tells dispatchers how many jobs it can take) and a dispatcher that fills the pools'
 * BullMQ queues from the fair queue every second and whenever one of its jobs starts or ends.
 */
function joinFleet(
  config: WorkerConfig,
  logger: Logger,
  parts: { redis: RedisClient; repo: JobRepository; queues: EncodeQueues; heartbeat: FleetHeartbeat },
) {
  const { redis, repo, queues, heartbeat } = parts;
  const { line, dispatcher } = createScheduling({ redis, prefix: config.KILN_REDIS_PREFIX, queues, repo, logger });
  return {
    line,
    dispatcher,
    join() {
      heartbeat.start();
      dispatcher.start();
    },
    async leave() {
      await dispatcher.stop();
    },
  };
}

/** The line hears of each job's start and end: its running place is freed and the next job handed out. */
function reportToLine(
  worker: Worker<EncodeJobData>,
  pool: string,
  parts: ReturnType<typeof joinFleet>,
  repo: JobRepository,
  logger: Logger,
): void {
  const warn = (jobId: string | undefined) => (err: unknown) =>
    logger.warn({ err, jobId }, 'could not update the fair queue');
  worker.on('active', (job) => void parts.line.started(job.data.jobId).catch(warn(job.data.jobId)));
  const ended = async (job: BullJob<EncodeJobData>) => {
    const record = await repo.get(job.data.jobId);
    // A failed attempt that BullMQ retries keeps its running place.
    if (record && !TERMINAL_STATUSES.includes(record.status)) return;
    await parts.line.forget(job.data.jobId);
    if (record?.status === 'completed' && job.processedOn && job.finishedOn)
      await parts.line.recordRun(pool, (job.finishedOn - job.processedOn) / 1000);
  };
  worker.on('completed', (job) => {
    // The slot is free in BullMQ already: hand the next job out now, and again once the line knows.
    parts.dispatcher.kick();
    void ended(job)
      .catch(warn(job.data.jobId))
      .finally(() => parts.dispatcher.kick());
  });
  worker.on('failed', (job) => {
    if (job)
      void ended(job)
        .catch(warn(job.data.jobId))
        .finally(() => parts.dispatcher.kick());
  });
}

/** One BullMQ worker per pool of KILN_WORKER_POOLS, all running jobs through the same handler and slots. */
function createPoolWorkers(config: WorkerConfig, handler: EncodeJobHandler): Worker<EncodeJobData>[] {
  return config.KILN_WORKER_POOLS.map(
    (pool) =>
      new Worker<EncodeJobData>(encodeQueueName(pool), (job, token, signal) => handler.process(job, token, signal), {
        connection: createRedisConnection(redisTarget(config)),
        prefix: bullPrefix(config.KILN_REDIS_PREFIX),
        // Prefetched jobs fetch and probe their inputs while every encode slot is busy.
        concurrency: config.KILN_WORKER_CONCURRENCY + config.KILN_WORKER_PREFETCH,
        lockDuration: config.KILN_WORKER_STALLED_S * 1000,
        stalledInterval: config.KILN_WORKER_STALLED_S * 1000,
        maxStalledCount: MAX_STALLED_COUNT,
        autorun: false,
      }),
  );
}

/**
 * Wires a worker from its config: Redis, realtime publisher, storage, ffmpeg, the encode handler,
 * a BullMQ worker per pool it runs (started by `start()`, once the occupancy mirror, the scratch
 * folder and the cancel subscription are up, and it has joined the fleet) and its HTTP side
 * (`/healthz`, `/readyz`, `/metrics`). `stop()` leaves the fleet, stops taking jobs, gives running
 * encodes KILN_SHUTDOWN_GRACE_S, then hands them back.
 */
export function buildWorker(
  config: WorkerConfig,
  logger = createLogger({ name: 'worker', level: config.KILN_LOG_LEVEL }),
): WorkerBuild {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const redis = createRedisConnection(redisTarget(config));
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  const { mirror, readiness, publisher } = connectRealtime(config, logger, registry, redis);
  // Downloaded inputs and (with S3) encodes in progress live in this process's own scratch folder;
  // what SIGKILLed workers of this host left behind is removed at start and every 10 minutes.
  const scratch = new ScratchRoot(tmpdir());
  const slots = new EncodeSlots(config.KILN_WORKER_CONCURRENCY);
  const webhooks = createWebhookDeliveries(config, { redis, registry, logger });
  const { handler, bucket, storage, repo, running, chunks } = createHandler(config, logger, {
    registry,
    redis,
    publisher,
    slots,
    scratch,
    webhooks: webhooks.emitter,
  });
  const workers = createPoolWorkers(config, handler);
  const chunkWorker = createChunkWorker(config, chunks.handler, logger);
  const queues = new EncodeQueues(redis, config.KILN_REDIS_PREFIX);
  const heartbeat = createHeartbeat(config, logger, redis, running);
  const fleet = joinFleet(config, logger, { redis, repo, queues, heartbeat });
  config.KILN_WORKER_POOLS.forEach((pool, i) => {
    watchWorker(workers[i]!, handler, queues.for(pool), logger);
    reportToLine(workers[i]!, pool, fleet, repo, logger);
  });
  // Cancels come from the API on any machine; the worker running the job aborts its ffmpeg. A lost
  // message is caught by the run's own once-a-second look at the job (RunWatch). Named so an
  // operator can find it in CLIENT LIST.
  const cancels = createRedisConnection(redisTarget(config), { connectionName: 'kiln-worker-cancels' });
  cancels.on('message', (_channel: string, jobId: string) => {
    const whole = workers.some((w) => w.cancelJob(jobId, 'cancelled by the customer'));
    if (chunks.handler.cancel(jobId) || whole) logger.info({ jobId }, 'cancel received; stopping ffmpeg');
  });

  let stopping: Promise<void> | undefined;
  let scratchSweep: NodeJS.Timeout | undefined;
  const server = createHttpSide(
    registry,
    readiness,
    () => !stopping && workers.every((w) => w.isRunning()) && chunkWorker.isRunning(),
  );
  const start = async () => {
    await mirror.start();
    await scratch.prepare().then(logSwept(logger));
    scratchSweep = setInterval(() => {
      scratch
        .sweep()
        .then(logSwept(logger))
        .catch((err: unknown) => logger.warn({ err }, 'could not sweep scratch folders'));
    }, 600_000).unref();
    for (const worker of [...workers, chunkWorker])
      void worker.run().catch((err: unknown) => logger.error({ err }, 'worker stopped running'));
    await cancels.subscribe(cancelChannel(config.KILN_REDIS_PREFIX));
    webhooks.start();
    fleet.join();
  };
  // Leave the fleet, stop taking jobs, let running ones finish (handing them back after the grace), then close everything.
  const stop = () =>
    (stopping ??= (async () => {
      await fleet.leave();
      // Jobs waiting for an encode slot go back to the queue now; running encodes get the grace.
      slots.close();
      const all = [...workers, chunkWorker];
      const handover = scheduleHandover(config, logger, { slots, handler, chunks: chunks.handler, workers: all });
      await Promise.all(all.map((w) => w.close()));
      clearTimeout(handover);
      // After the encodes: their last events queue deliveries; attempts under way finish.
      await webhooks.stop();
      await cancels.quit().catch(() => undefined);
      await queues.close();
      await chunks.queue.close();
      await publisher.flush();
      await mirror.stop();
      clearInterval(scratchSweep);
      await scratch.remove();
      void closeServer(server);
      await redis.quit().catch(() => undefined);
      bucket?.destroy();
    })());
  return { server, workers, chunkWorker, storage: { kind: storage.kind, bucket: bucket?.name }, start, stop };
}

import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, loadConfigOrExit, pusherSettings } from '@kiln/config';
import {
  bullPrefix,
  cancelChannel,
  createRedisConnection,
  ENCODE_QUEUE,
  JobRepository,
  type EncodeJobData,
} from '@kiln/jobs';
import { createLogger, installShutdown } from '@kiln/logger';
import { FfmpegMediaAdapter, minimalEnv } from '@kiln/media';
import {
  GatedPublisher,
  JobAnnouncer,
  OccupancyMirror,
  OccupancyRepository,
  PusherTransport,
  Readiness,
  RealtimeMetrics,
} from '@kiln/realtime';
import { Queue, Worker } from 'bullmq';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { workerConfigSchema } from './config.js';
import { EncodeJobHandler } from './encode-job.handler.js';
import { EncodeSlots } from './encode-slots.js';
import { ScratchRoot } from './scratch-root.js';
import { InputResolver } from './input-resolver.js';
import { LimitedMediaAdapter } from './limited-media.adapter.js';
import { createOutputStorage, createS3Bucket } from '@kiln/storage';
import { createWorkerHttpServer } from './worker-http.js';
import { WorkerMetrics } from './worker-metrics.js';
import { LOCK_LOST_REASON } from './run.errors.js';

/** Stalls (a worker died or froze holding the job) after which BullMQ fails the job instead of handing it on. */
const MAX_STALLED_COUNT = 2;

const config = loadConfigOrExit('worker', () => loadConfig(workerConfigSchema, process.env));
const logger = createLogger({ name: 'worker', level: config.KILN_LOG_LEVEL });
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const redis = createRedisConnection(config.REDIS_URL);
redis.on('error', (err) => logger.warn({ err }, 'redis error'));
const realtimeMetrics = new RealtimeMetrics(registry);
const mirror = new OccupancyMirror(
  new OccupancyRepository(redis, config.KILN_REDIS_PREFIX),
  createRedisConnection(config.REDIS_URL),
  logger.child({ component: 'occupancy-mirror' }),
);
await mirror.start();
const transport = new PusherTransport(pusherSettings(config), realtimeMetrics);
const readiness = new Readiness([redis], transport);
const publisher = new GatedPublisher(mirror, transport, realtimeMetrics, logger.child({ component: 'publisher' }), {
  progressIntervalMs: config.KILN_PROGRESS_INTERVAL_MS,
});
// With KILN_S3_BUCKET, outputs and uploads share one S3 client; otherwise both are under KILN_STORAGE_DIR.
const bucket = createS3Bucket(config);
// Downloaded inputs and (with S3) encodes in progress live in this process's own scratch folder;
// what SIGKILLed workers of this host left behind is removed now and every 10 minutes.
const scratch = new ScratchRoot(tmpdir());
const deadScratch = await scratch.prepare();
if (deadScratch > 0) logger.info({ folders: deadScratch }, 'removed scratch folders of workers that died');
const scratchSweep = setInterval(() => {
  scratch
    .sweep()
    .then((n) => n > 0 && logger.info({ folders: n }, 'removed scratch folders of workers that died'))
    .catch((err: unknown) => logger.warn({ err }, 'could not sweep scratch folders'));
}, 600_000).unref();
const storage = createOutputStorage(config, bucket, path.join(scratch.dir, 'outputs'));
const slots = new EncodeSlots(config.KILN_WORKER_CONCURRENCY);
const handler = new EncodeJobHandler({
  repo: new JobRepository(redis, config.KILN_REDIS_PREFIX),
  announcer: new JobAnnouncer(publisher),
  media: new LimitedMediaAdapter(
    new FfmpegMediaAdapter({
      ffmpegPath: config.FFMPEG_PATH,
      ffprobePath: config.FFPROBE_PATH,
      stallTimeoutMs: config.KILN_FFMPEG_STALL_S * 1000,
      maxPixels: config.KILN_MAX_INPUT_PIXELS,
      maxInputSeconds: config.KILN_MAX_INPUT_SECONDS,
      budget: { factor: config.KILN_ENCODE_BUDGET_FACTOR, floorSeconds: config.KILN_ENCODE_BUDGET_FLOOR_S },
      // ffmpeg and ffprobe see PATH, locale and time zone only: none of this process's secrets.
      sandbox: { env: minimalEnv(process.env), maxMemoryMb: config.KILN_FFMPEG_MAX_MEMORY_MB },
    }),
    {
      maxSeconds: config.KILN_MAX_INPUT_SECONDS,
      maxPixels: config.KILN_MAX_INPUT_PIXELS,
      maxFps: config.KILN_MAX_INPUT_FPS,
    },
  ),
  storage,
  inputs: new InputResolver({
    roots: config.KILN_INPUT_ROOTS,
    storageDir: config.KILN_STORAGE_DIR,
    maxInputBytes: config.KILN_MAX_INPUT_BYTES,
    timeoutMs: config.KILN_INPUT_TIMEOUT_S * 1000,
    allowHosts: config.KILN_INPUT_ALLOW_HOSTS,
    remoteUploads: bucket,
  }),
  slots,
  scratchDir: scratch.dir,
  metrics: new WorkerMetrics(registry),
  logger,
  progressIntervalMs: config.KILN_PROGRESS_INTERVAL_MS,
  threads: Math.max(1, Math.floor(availableParallelism() / config.KILN_WORKER_CONCURRENCY)),
});

const worker = new Worker<EncodeJobData>(ENCODE_QUEUE, (job, token, signal) => handler.process(job, token, signal), {
  connection: createRedisConnection(config.REDIS_URL),
  prefix: bullPrefix(config.KILN_REDIS_PREFIX),
  // Prefetched jobs fetch and probe their inputs while every encode slot is busy.
  concurrency: config.KILN_WORKER_CONCURRENCY + config.KILN_WORKER_PREFETCH,
  lockDuration: config.KILN_WORKER_STALLED_S * 1000,
  stalledInterval: config.KILN_WORKER_STALLED_S * 1000,
  maxStalledCount: MAX_STALLED_COUNT,
});
worker.on('error', (err) => logger.error({ err }, 'worker error'));
const queue = new Queue<EncodeJobData>(ENCODE_QUEUE, {
  connection: redis,
  prefix: bullPrefix(config.KILN_REDIS_PREFIX),
});
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

// Cancels come from the API on any machine; the worker running the job aborts its ffmpeg. A lost
// message is caught by the run's own once-a-second look at the job (RunWatch). Named so an
// operator can find it in CLIENT LIST.
const cancels = createRedisConnection(config.REDIS_URL, { connectionName: 'kiln-worker-cancels' });
await cancels.subscribe(cancelChannel(config.KILN_REDIS_PREFIX));
cancels.on('message', (_channel: string, jobId: string) => {
  if (worker.cancelJob(jobId, 'cancelled by the customer')) logger.info({ jobId }, 'cancel received; stopping ffmpeg');
});

// Stop taking jobs, let running ones finish (handing them back after the grace), then close everything.
const graceMs = config.KILN_SHUTDOWN_GRACE_S * 1000;
const shutdown = installShutdown(
  logger,
  async () => {
    // Jobs waiting for an encode slot go back to the queue now; running encodes get the grace.
    slots.close();
    const handover = setTimeout(() => {
      // A job whose encode is done may still be announcing its final event: that is not a handover.
      if (slots.busy > 0)
        logger.warn(
          { graceS: config.KILN_SHUTDOWN_GRACE_S, encoding: slots.busy },
          'jobs still running after the grace period; handing them back to the queue',
        );
      else
        logger.info(
          { graceS: config.KILN_SHUTDOWN_GRACE_S },
          'grace period over; no encode running, finishing final announcements',
        );
      handler.beginHandover();
      worker.cancelAllJobs('worker shutting down');
    }, graceMs);
    await worker.close();
    clearTimeout(handover);
    await cancels.quit().catch(() => undefined);
    await queue.close();
    await publisher.flush();
    await mirror.stop();
    clearInterval(scratchSweep);
    await scratch.remove();
    server.close();
    await redis.quit().catch(() => undefined);
    bucket?.destroy();
  },
  graceMs + 15_000,
);

const server = createWorkerHttpServer({
  registry,
  healthy: () => !shutdown.requested && worker.isRunning(),
  ready: async () => ({ ...(await readiness.check()), running: !shutdown.requested && worker.isRunning() }),
});
server.listen(config.KILN_WORKER_METRICS_PORT, '0.0.0.0', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.KILN_WORKER_METRICS_PORT;
  logger.info(
    {
      metricsPort: port,
      concurrency: config.KILN_WORKER_CONCURRENCY,
      prefetch: config.KILN_WORKER_PREFETCH,
      storage: storage.kind,
      bucket: bucket?.name,
    },
    'worker ready',
  );
});

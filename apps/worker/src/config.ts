import { bool, commonFields, csv, inputRoots, port, positiveInt, pusherFields, withRedisCluster } from '@kiln/config';
import { DEFAULT_RETRY_BASE_MS } from '@kiln/customer-webhooks';
import { PRESET_POOLS } from '@kiln/jobs';
import { checkS3Config, s3Fields } from '@kiln/storage';
import { z } from 'zod';
import { isValidAllowEntry } from '@kiln/address-policy';

/** A comma-separated allowlist of private hosts (host names, IP addresses, CIDR ranges). */
const allowHosts = csv
  .default([])
  .refine((hosts) => hosts.every(isValidAllowEntry), 'must be comma-separated host names, IP addresses or CIDR ranges');

/** Everything a worker reads from the environment (see README, "Configuration"). */
export const workerConfigSchema = z
  .object({
    ...commonFields,
    ...pusherFields,
    KILN_STORAGE_DIR: z.string().default('.kiln/storage'),
    KILN_INPUT_ROOTS: inputRoots,
    KILN_MAX_INPUT_BYTES: positiveInt(10 * 1024 ** 3),
    KILN_INPUT_TIMEOUT_S: positiveInt(30, 3600),
    KILN_INPUT_ALLOW_HOSTS: allowHosts,
    /** Private webhook receivers that may be contacted anyway (same form as KILN_INPUT_ALLOW_HOSTS). */
    KILN_WEBHOOK_ALLOW_HOSTS: allowHosts,
    /** How long a webhook delivery is retried, in hours. */
    KILN_WEBHOOK_RETRY_H: positiveInt(24, 24 * 30),
    /** The wait before a delivery's first retry; each next one doubles (with jitter). */
    KILN_WEBHOOK_RETRY_BASE_MS: positiveInt(DEFAULT_RETRY_BASE_MS, 3_600_000),
    /** Limit for one delivery attempt: DNS, connect and the receiver's whole answer. */
    KILN_WEBHOOK_TIMEOUT_MS: positiveInt(10_000, 120_000),
    /** An endpoint whose deliveries all failed for this many hours is disabled. */
    KILN_WEBHOOK_DISABLE_AFTER_H: positiveInt(72, 24 * 365),
    KILN_WORKER_CONCURRENCY: positiveInt(1, 64),
    /**
     * Jobs a process takes beyond its concurrency, to fetch and probe their inputs while every
     * encode slot is busy. Helps deep queues of short jobs and slow downloads; costs latency when
     * the queue is shallow and another worker sits idle (the job waits here instead), so 0 by default.
     */
    KILN_WORKER_PREFETCH: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 (off) or more')
      .max(16, 'must be at most 16')
      .default(0),
    /** The capability pools whose jobs this worker runs (every pool a preset names by default). */
    KILN_WORKER_POOLS: csv
      .default([...PRESET_POOLS])
      .refine((pools) => pools.length > 0, 'must name at least one pool')
      .refine(
        (pools) => pools.every((p) => PRESET_POOLS.includes(p)),
        `must be a comma-separated list of pools presets name: ${PRESET_POOLS.join(', ')}`,
      ),
    KILN_WORKER_METRICS_PORT: port(0, true),
    /** A job whose worker stopped renewing its lock for this long is handed to another worker. */
    KILN_WORKER_STALLED_S: positiveInt(30, 3600),
    KILN_PROGRESS_INTERVAL_MS: positiveInt(1000, 60_000),
    /**
     * Inputs longer than this many seconds are encoded in chunks by the whole fleet (split and
     * stitch) for their H.264 outputs; shorter ones whole, by one worker.
     */
    KILN_CHUNK_MIN_S: positiveInt(120, 7 * 24 * 3600),
    /** The length chunks are cut to, about (HLS: rounded to whole segments). */
    KILN_CHUNK_SECONDS: positiveInt(20, 3600),
    /** A job's outputs are encoded by one ffmpeg from one decode of the input (false: one ffmpeg each). */
    KILN_ONE_DECODE: bool(true),
    KILN_FFMPEG_STALL_S: positiveInt(120, 3600),
    /** Inputs longer, larger per frame (width × height) or faster are refused at probe time. */
    KILN_MAX_INPUT_SECONDS: positiveInt(6 * 3600),
    KILN_MAX_INPUT_PIXELS: positiveInt(8192 * 4320),
    KILN_MAX_INPUT_FPS: positiveInt(240, 10_000),
    /** Each output may take KILN_ENCODE_BUDGET_FACTOR × its duration + KILN_ENCODE_BUDGET_FLOOR_S of wall-clock time. */
    KILN_ENCODE_BUDGET_FACTOR: z.coerce
      .number({ error: 'must be a number' })
      .positive('must be above 0')
      .max(1000, 'must be at most 1000')
      .default(10),
    KILN_ENCODE_BUDGET_FLOOR_S: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .max(86_400, 'must be at most 86400')
      .default(300),
    /** Address-space cap of every ffmpeg and ffprobe, in MiB (0 = none). */
    KILN_FFMPEG_MAX_MEMORY_MB: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(0, 'must be 0 (none) or more')
      .default(4096),
    /** On SIGTERM, running jobs get this long to finish before they are handed to another worker. */
    KILN_SHUTDOWN_GRACE_S: positiveInt(30, 3600),
    FFMPEG_PATH: z.string().default('ffmpeg'),
    FFPROBE_PATH: z.string().default('ffprobe'),
    /** KILN_S3_*: with KILN_S3_BUCKET set, outputs and uploads are in that bucket instead of KILN_STORAGE_DIR. */
    ...s3Fields,
  })
  .superRefine(checkS3Config)
  .transform(withRedisCluster);
export type WorkerConfig = z.output<typeof workerConfigSchema>;

import { commonFields, csv, port, positiveInt, pusherFields } from '@kiln/config';
import { z } from 'zod';

/** Everything a worker reads from the environment (see README, "Configuration"). */
export const workerConfigSchema = z.object({
  ...commonFields,
  ...pusherFields,
  KILN_STORAGE_DIR: z.string().default('.kiln/storage'),
  KILN_INPUT_ROOTS: csv.default([]),
  KILN_WORKER_CONCURRENCY: positiveInt(1, 64),
  KILN_WORKER_METRICS_PORT: port(0, true),
  KILN_PROGRESS_INTERVAL_MS: positiveInt(1000, 60_000),
  KILN_FFMPEG_STALL_S: positiveInt(120, 3600),
  /** On SIGTERM, running jobs get this long to finish before they are handed to another worker. */
  KILN_SHUTDOWN_GRACE_S: positiveInt(30, 3600),
  FFMPEG_PATH: z.string().default('ffmpeg'),
  FFPROBE_PATH: z.string().default('ffprobe'),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

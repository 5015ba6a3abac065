import { z } from 'zod';
import { outputNameClashes } from './output-names.js';
import { PRESET_IDS } from './presets.js';

/** Job states, in the order a job normally moves through them. */
export const JOB_STATUSES = ['queued', 'probing', 'encoding', 'storing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['probing', 'encoding', 'storing'];

/** Output names become file names: keep them to a safe alphabet. */
const outputName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1-64 letters, digits, "_", "-" or "." (not first)');

export const outputRequestSchema = z.strictObject({
  preset: z.enum(PRESET_IDS, {
    error: (iss) =>
      iss.input === undefined ? 'preset is required' : `unknown preset; use one of: ${PRESET_IDS.join(', ')}`,
  }),
  name: outputName.optional(),
});
export type OutputRequest = z.infer<typeof outputRequestSchema>;

const MAX_METADATA_BYTES = 2048;

/** Body of `POST /v1/jobs`. */
export const createJobSchema = z
  .strictObject({
    input: z
      .string({ error: 'input is required: an http(s):// URL or a file:// path' })
      .min(1)
      .max(2048)
      .refine(
        (s) => /^(file|https?|upload):\/\//i.test(s),
        'input must be an http(s):// URL, an upload://<id> or a file:// path',
      ),
    outputs: z
      .array(outputRequestSchema, { error: 'outputs is required: a list of {preset}' })
      .min(1, 'at least one output')
      .max(10),
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 keys')
      .refine(
        (m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES,
        `at most ${MAX_METADATA_BYTES} bytes as JSON`,
      )
      .optional(),
  })
  .superRefine((body, ctx) => {
    for (const { index, message } of outputNameClashes(body.outputs))
      ctx.addIssue({ code: 'custom', path: ['outputs', index, 'name'], message });
  });
export type CreateJobRequest = z.infer<typeof createJobSchema>;

export interface JobProgress {
  /** 0-100, from ffmpeg's position against the probed duration. */
  percent: number;
  fps: number | null;
  /** Encoding speed as a multiple of real time (2 = twice as fast as playback). */
  speed: number | null;
  etaSeconds: number | null;
}

export type OutputStatus = 'pending' | 'encoding' | 'completed' | 'failed';

export interface JobOutput {
  name: string;
  preset: string;
  status: OutputStatus;
  contentType: string;
  sizeBytes: number | null;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  /**
   * Overall bit rate in kilobits per second (1000 bit/s): size × 8 / duration, so container and
   * audio are included. Null until completed, and for outputs without a duration (thumbnails).
   * Optional only because jobs stored before it existed lack it.
   */
  bitrateKbps?: number | null;
  /**
   * `sha256:<hex>` of the stored file, computed while it was stored. Null until completed, and for
   * directory outputs (HLS, thumbnails), whose every entry in `files` has its own checksum instead.
   */
  checksum?: string | null;
  /** API path that streams the file once it is completed; a directory output's names its entry file (`hls/master.m3u8`). */
  downloadPath: string | null;
  /** For outputs made of several files (HLS, thumbnails): each file, relative to the output. */
  files?: OutputFile[];
}

/** One file of a directory output. */
export interface OutputFile {
  /** Relative to the output, `/`-separated: `v0/seg_000.ts`. */
  path: string;
  sizeBytes: number;
  /** `sha256:<hex>`; absent on jobs stored before checksums were recorded. */
  checksum?: string;
}

export interface JobError {
  code: string;
  message: string;
}

/** The public JSON of a job, as the API returns it (events carry its summary: `job-summary.ts`). */
export interface Job {
  id: string;
  customerId: string;
  status: JobStatus;
  input: string;
  metadata: Record<string, string>;
  progress: JobProgress;
  outputs: JobOutput[];
  error: JobError | null;
  attempts: number;
  /** Grows with every stored change to the job; clients keep the version with the highest. */
  seq: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Payload of a BullMQ encode job: the job's id; everything else is read from the job store. */
export interface EncodeJobData {
  jobId: string;
  customerId: string;
}

/** Names of the events on a customer's channel. */
export const JOB_EVENTS = {
  created: 'job.created',
  progress: 'job.progress',
  completed: 'job.completed',
  failed: 'job.failed',
  cancelled: 'job.cancelled',
} as const;
export const SYNC_EVENT = 'sync';
export type JobEventName = (typeof JOB_EVENTS)[keyof typeof JOB_EVENTS];

/** The event a change to `status` is announced with. */
export function eventForStatus(status: JobStatus): JobEventName {
  switch (status) {
    case 'queued':
      return JOB_EVENTS.created;
    case 'completed':
      return JOB_EVENTS.completed;
    case 'failed':
      return JOB_EVENTS.failed;
    case 'cancelled':
      return JOB_EVENTS.cancelled;
    default:
      return JOB_EVENTS.progress;
  }
}

/**
 * The public Job JSON as the API returns it and channel events carry it. Mirrors `Job` in
 * `@kiln/jobs` (packages/jobs/src/job.schema.ts); copied as types only so the browser bundle
 * never pulls in that package's server dependencies (BullMQ, ioredis).
 */
export type JobStatus = 'queued' | 'probing' | 'encoding' | 'storing' | 'completed' | 'failed' | 'cancelled';

export interface JobProgress {
  percent: number;
  fps: number | null;
  speed: number | null;
  etaSeconds: number | null;
}

export interface JobOutput {
  name: string;
  preset: string;
  status: 'pending' | 'encoding' | 'completed' | 'failed';
  contentType: string;
  sizeBytes: number | null;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  downloadPath: string | null;
}

export interface Job {
  id: string;
  customerId: string;
  status: JobStatus;
  input: string;
  metadata: Record<string, string>;
  progress: JobProgress;
  outputs: JobOutput[];
  error: { code: string; message: string } | null;
  attempts: number;
  seq: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Names of the `job.*` events on a customer's channel. */
export const JOB_EVENT_NAMES = ['job.created', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** Payload of every `job.*` event. */
export interface JobEventPayload {
  id: string;
  seq: number;
  status: JobStatus;
  job: Job;
}

/**
 * Checks the fields the dashboard relies on before a value from the network enters the store: a
 * malformed event must not be able to break rendering or win the seq comparison by accident.
 */
export function isJob(value: unknown): value is Job {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['id'] === 'string' &&
    v['id'].length > 0 &&
    typeof v['seq'] === 'number' &&
    Number.isFinite(v['seq']) &&
    typeof v['status'] === 'string' &&
    typeof v['createdAt'] === 'string' &&
    typeof v['progress'] === 'object' &&
    v['progress'] !== null &&
    Array.isArray(v['outputs'])
  );
}

/** The job inside a `job.*` event payload, or undefined when the payload is not one. */
export function jobFromEvent(payload: unknown): Job | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const job = (payload as { job?: unknown }).job;
  return isJob(job) ? job : undefined;
}

/**
 * The public JSON of the Kiln API as the CLI reads it. Job types come from `@kiln/jobs` as types
 * only: the CLI is an HTTP client of the public contract and loads none of the server's code.
 */
import type { Job, JobStatus } from '@kiln/jobs';

export type { Job, JobOutput, JobOutputSummary, JobProgress, JobStatus, JobSummary } from '@kiln/jobs';

/** Every status, in the order a job normally moves through them. */
export const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'probing',
  'encoding',
  'storing',
  'completed',
  'failed',
  'cancelled',
];

/** Statuses a job never leaves on its own. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** `GET /v1/jobs`: one page, newest first. */
export interface JobPage {
  data: Job[];
  nextCursor: string | null;
}

/** What a pusher-js client needs to reach the customer's channel. */
export interface PusherSettings {
  key: string;
  cluster: string;
  wsHost?: string;
  wsPort?: number;
  forceTLS?: boolean;
}

/** `GET /v1/me`. */
export interface Me {
  customerId: string;
  channel: string;
  pusher: PusherSettings;
}

/** One entry of `GET /v1/presets`. */
export interface Preset {
  id: string;
  description: string;
  kind?: string;
  extension?: string;
  contentType?: string;
}

/** `POST /v1/uploads`: the stored file, and the `input` a job can name it by. */
export interface Upload {
  id: string;
  sizeBytes: number;
  input: string;
}

/** One output a new job should produce. */
export interface OutputRequest {
  preset: string;
  name?: string;
}

/** Names of the `job.*` events on a customer's channel. */
export const JOB_EVENT_NAMES = ['job.created', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled'] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** True for a status the job will not leave without a retry. */
export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export { compareJobVersions, isFullJob, isJob, jobFromEvent, type VersionOutcome } from '@kiln/jobs/client';

import type { JobOutputSummary, JobStatus, JobSummary } from './job.schema.js';
import { formatWait } from './queue-place-format.js';

/** What a progress display shows of one job: the same words for `<kiln-progress>` and any other view. */
export interface ProgressView {
  status: JobStatus;
  /** The status for people: `Encoding`, `Waiting to start`, `Ready`. */
  label: string;
  /** 0-100 while running (100 once completed); null while nothing is known yet (queued). */
  percent: number | null;
  /** `~2 min left`, only while encoding with an estimate. */
  eta: string | null;
  /** The job's error message, when it failed. */
  error: string | null;
  /** completed, failed or cancelled: nothing will change without a retry. */
  done: boolean;
}

const LABELS: Record<JobStatus, string> = {
  queued: 'Waiting to start',
  probing: 'Preparing',
  encoding: 'Encoding',
  storing: 'Saving',
  completed: 'Ready',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** A job as a progress display shows it; pure, so every view words a job the same way. */
export function progressView(job: JobSummary): ProgressView {
  const done = job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';
  const running = job.status === 'probing' || job.status === 'encoding' || job.status === 'storing';
  const percent = job.status === 'completed' ? 100 : running ? clampPercent(job.progress.percent) : null;
  const wait = job.status === 'encoding' ? formatWait(job.progress.etaSeconds) : undefined;
  return {
    status: job.status,
    label: LABELS[job.status],
    percent,
    eta: wait === undefined ? null : `${wait} left`,
    error: job.status === 'failed' ? (job.error?.message ?? 'The job failed.') : null,
    done,
  };
}

function clampPercent(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, Math.round(p * 10) / 10)) : 0;
}

/** How a playable output is played: hls.js or native HLS for a playlist, a plain `<video src>` otherwise. */
export type PlayableKind = 'hls' | 'file';

/** The output a player shows, with the signed URL it plays from (no header needed). */
export interface Playable {
  name: string;
  kind: PlayableKind;
  contentType: string;
  /** As the API gave it: absolute (`<origin>/play/<token>/<entry>`); resolve it against the API's URL in case it is not. */
  url: string;
  /** When the signed URL stops working (ISO), if the API said. */
  expiresAt: string | null;
}

const HLS_TYPES = new Set(['application/vnd.apple.mpegurl', 'application/x-mpegurl']);
const FILE_TYPES = new Set(['video/mp4', 'video/webm']);

/**
 * The first completed output a browser can play (HLS, MP4 or WebM, in the job's order) that carries
 * a signed URL (`GET /v1/jobs/:id?signed=true` adds them; events never do). Undefined when there is none yet.
 */
export function playableOutput(job: JobSummary): Playable | undefined {
  for (const output of job.outputs) {
    if (output.status !== 'completed') continue;
    const type = output.contentType.toLowerCase();
    const kind: PlayableKind | undefined = HLS_TYPES.has(type) ? 'hls' : FILE_TYPES.has(type) ? 'file' : undefined;
    if (kind === undefined) continue;
    const signed = signedUrlOf(output);
    if (signed === undefined) continue;
    return { name: output.name, kind, contentType: output.contentType, url: signed.url, expiresAt: signed.expiresAt };
  }
  return undefined;
}

/** Whether a job has an output a browser could play, so a read with signed URLs is worth making. */
export function hasPlayableType(job: JobSummary): boolean {
  return job.outputs.some(
    (o) => o.status === 'completed' && (HLS_TYPES.has(o.contentType) || FILE_TYPES.has(o.contentType)),
  );
}

function signedUrlOf(output: JobOutputSummary): { url: string; expiresAt: string | null } | undefined {
  // Only reads with ?signed=true carry it, never events.
  if (output.signedUrl === undefined || output.signedUrl.length === 0) return undefined;
  return { url: output.signedUrl, expiresAt: output.signedUrlExpiresAt ?? null };
}

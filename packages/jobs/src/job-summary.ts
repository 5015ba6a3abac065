import type { Job, JobError, JobEventPayload, JobOutput, JobOutputSummary, JobSummary } from '@kiln/client/contract';

export type { JobEventPayload, JobOutputSummary, JobSummary } from '@kiln/client/contract';

/**
 * Pusher's limit on one event's data, and Kiln's contract for every event (ARCHITECTURE §3):
 * the JSON `data` string, counted in UTF-8 bytes as Pusher and soketi count it.
 */
export const MAX_EVENT_BYTES = 10 * 1024;

/** Longest error message a summary carries, as JSON-encoded UTF-8 bytes (the API has it all). */
export const SUMMARY_ERROR_MESSAGE_BYTES = 1024;
/** Longest error code a summary carries, as JSON-encoded UTF-8 bytes (codes are short snake_case). */
const SUMMARY_ERROR_CODE_BYTES = 64;
/** The error message of a minimal summary (the fallback), in the same unit. */
const MINIMAL_ERROR_MESSAGE_BYTES = 256;

const utf8 = new TextEncoder();

/** Bytes `value` takes in an event's `data` string: its JSON in UTF-8. */
export function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).length;
}

/**
 * `text` cut (on a code point, ending in `…`) so that its JSON string takes at most `maxBytes`
 * UTF-8 bytes: escapes and multi-byte characters count as what they cost on the wire.
 */
export function truncateToJsonBytes(text: string, maxBytes: number): string {
  if (jsonBytes(text) <= maxBytes) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  // Longest prefix that fits with the ellipsis; JSON size grows with the prefix, so bisect.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(`${chars.slice(0, mid).join('')}…`) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}

function summarizeError(error: JobError | null, messageBytes: number): JobError | null {
  if (error === null) return null;
  return {
    code: truncateToJsonBytes(error.code, SUMMARY_ERROR_CODE_BYTES),
    message: truncateToJsonBytes(error.message, messageBytes),
  };
}

function summarizeOutput(o: JobOutputSummary & Pick<JobOutput, 'files'>): JobOutputSummary {
  const fileCount = o.files !== undefined ? o.files.length : o.fileCount;
  return {
    name: o.name,
    preset: o.preset,
    status: o.status,
    contentType: o.contentType,
    sizeBytes: o.sizeBytes,
    durationSeconds: o.durationSeconds,
    width: o.width,
    height: o.height,
    ...(o.bitrateKbps !== undefined ? { bitrateKbps: o.bitrateKbps } : {}),
    ...(o.checksum !== undefined ? { checksum: o.checksum } : {}),
    downloadPath: o.downloadPath,
    ...(fileCount !== undefined ? { fileCount } : {}),
  };
}

/**
 * The summary of a job (see {@link JobSummary}). Fields are copied by name, so a field added to
 * the job record later stays out of events until it is added here on purpose. Bounded by
 * construction: at most 10 outputs (the create schema) of short, fixed-alphabet strings and
 * numbers, and an error message cut to {@link SUMMARY_ERROR_MESSAGE_BYTES}.
 */
export function toJobSummary(job: Job | JobSummary): JobSummary {
  return {
    id: job.id,
    customerId: job.customerId,
    status: job.status,
    priority: job.priority,
    pool: job.pool,
    progress: {
      percent: job.progress.percent,
      fps: job.progress.fps,
      speed: job.progress.speed,
      etaSeconds: job.progress.etaSeconds,
    },
    outputs: job.outputs.map(summarizeOutput),
    error: summarizeError(job.error, SUMMARY_ERROR_MESSAGE_BYTES),
    attempts: job.attempts,
    seq: job.seq,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/**
 * The fallback for a job whose summary would still exceed {@link MAX_EVENT_BYTES} (a record the
 * create schema would not allow, such as one written by hand or by an older version): id, seq,
 * status, progress and a short error, no outputs, marked `truncated` so clients read the job.
 */
export function toMinimalJobSummary(job: Job | JobSummary): JobSummary {
  return {
    ...toJobSummary({ ...job, outputs: [] }),
    error: summarizeError(job.error, MINIMAL_ERROR_MESSAGE_BYTES),
    truncated: true,
  };
}

/** The payload of a `job.*` event for `job`, carrying its summary. */
export function jobEventPayload(job: Job | JobSummary): JobEventPayload {
  return { id: job.id, seq: job.seq, status: job.status, job: toJobSummary(job) };
}

/** The payload of a `job.*` event carrying the job's minimal summary (see {@link toMinimalJobSummary}). */
export function minimalJobEventPayload(job: Job | JobSummary): JobEventPayload {
  return { id: job.id, seq: job.seq, status: job.status, job: toMinimalJobSummary(job) };
}

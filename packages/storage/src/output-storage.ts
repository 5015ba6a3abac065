import type { Readable } from 'node:stream';
import { UnsafeStoragePathError } from './storage.errors.js';
import type { ScratchOptions, ScratchOutput } from './scratch-output.js';

/**
 * One stored output of a job: `name` is the file name (`mp4-360p.mp4`) of a file output, or the
 * folder name (`hls`) of a directory output (HLS, thumbnails).
 */
export interface OutputRef {
  customerId: string;
  jobId: string;
  name: string;
}

/** A byte range, both ends included, already checked against the object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What storing one file gave: its size and `sha256:<hex>` of its bytes. */
export interface StoredObject {
  sizeBytes: number;
  checksum: string;
}

/** One file of a stored directory output, its path relative to the output (`v0/seg_000.ts`). */
export interface StoredFile extends StoredObject {
  path: string;
}

/** An open stored file: its bytes (the requested range, or all) and the size of the whole file. */
export interface OpenedObject {
  body: Readable;
  sizeBytes: number;
}

/**
 * Where finished outputs live. The worker asks for a {@link ScratchOutput} per output: ffmpeg
 * writes to its local path, and its `commit` puts the result in place so that it appears whole or
 * not at all (local: a rename; S3: an upload). The API reads them back with `stat` and `open`
 * (ranges included). `file` arguments name a file inside a directory output; an unsafe one reads
 * as missing.
 */
export interface OutputStorage {
  /** `local` or `s3`, for logs and the start banner. */
  readonly kind: 'local' | 's3';
  /** A fresh scratch output for `ref`; see {@link ScratchOutput}. */
  scratch(ref: OutputRef, opts?: ScratchOptions): Promise<ScratchOutput>;
  /** The size of a stored file, or null when there is none (or `file` is unsafe). */
  stat(ref: OutputRef, file?: string): Promise<{ sizeBytes: number } | null>;
  /** Opens a stored file, or a range of it; null when it is missing (or `file` is unsafe). */
  open(ref: OutputRef, file?: string, range?: ByteRange): Promise<OpenedObject | null>;
  /** Removes every stored output of a job (the job is being deleted); missing is fine. */
  removeJob(customerId: string, jobId: string): Promise<void>;
  /**
   * Removes scratch files earlier runs of the job left (all but run `keepRunId`'s); returns how
   * many. Only a run holding the job's lock may call it (see `removeScratch`).
   */
  clearTemps(customerId: string, jobId: string, keepRunId?: string): Promise<number>;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The `<customer>/<job>/<name>` parts of a ref, each checked to be one plain segment (no `/`, no
 * `..`, not hidden), so no id or name can reach outside the job's folder or key prefix.
 */
export function refSegments(ref: OutputRef): [string, string, string] {
  for (const part of [ref.customerId, ref.jobId, ref.name]) {
    if (!SAFE_SEGMENT.test(part) || part === '.' || part === '..') throw new UnsafeStoragePathError(part);
  }
  return [ref.customerId, ref.jobId, ref.name];
}

/** The segments of a path inside a directory output, or null when it is not 1-4 plain segments. */
export function relativeSegments(relative: string): string[] | null {
  const parts = relative.split('/');
  if (parts.length === 0 || parts.length > 4 || parts.some((p) => !SAFE_SEGMENT.test(p))) return null;
  return parts;
}

/** Overall bit rate in kbit/s (1000 bit/s) from a size and a duration; null without a duration. */
export function bitrateKbps(sizeBytes: number, durationSeconds: number | null): number | null {
  if (durationSeconds === null || !(durationSeconds > 0)) return null;
  return Math.round((sizeBytes * 8) / durationSeconds / 1000);
}

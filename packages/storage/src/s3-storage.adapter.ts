import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumStream } from './checksum.js';
import { pruneRunFolder, removeScratch, scratchPath } from './scratch-files.js';
import { createScratchOutput, type ScratchOptions, type ScratchOutput, type ScratchStore } from './scratch-output.js';
import {
  refSegments,
  relativeSegments,
  type ByteRange,
  type OpenedObject,
  type OutputRef,
  type OutputStorage,
  type StoredFile,
  type StoredObject,
} from './output-storage.js';
import type { S3Bucket } from './s3-bucket.adapter.js';

/** Stored as object metadata so a bucket browser or a presigned URL serves the right type. */
const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.m4a': 'audio/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.vtt': 'text/vtt; charset=utf-8',
};

/** Files of one directory output uploaded at once. */
const DIR_CONCURRENCY = 4;

/**
 * Outputs in an S3-compatible bucket under `<prefix><customer>/<job>/<name>.<ext>` (directory
 * outputs: `<prefix><customer>/<job>/<name>/<path>`). ffmpeg still writes to a local scratch
 * directory (default `<tmp>/kiln-scratch`); `store` uploads the finished file while hashing it,
 * then removes the scratch copy. Each object appears whole or not at all; a directory output is
 * uploaded file by file, and the API serves it only once the job records it as completed.
 */
export class S3Storage implements OutputStorage, ScratchStore {
  readonly kind = 's3' as const;
  readonly scratchDir: string;

  constructor(
    readonly bucket: S3Bucket,
    scratchDir = path.join(tmpdir(), 'kiln-scratch'),
  ) {
    this.scratchDir = path.resolve(scratchDir);
  }

  /** The object key (without the bucket prefix) of an output, or of a file inside a directory output. */
  keyOf(ref: OutputRef, file?: string): string | null {
    const base = refSegments(ref).join('/');
    if (file === undefined) return base;
    const parts = relativeSegments(file);
    return parts ? `${base}/${parts.join('/')}` : null;
  }

  /** A scratch output in the local scratch directory, uploaded on commit. */
  scratch(ref: OutputRef, opts?: ScratchOptions): Promise<ScratchOutput> {
    return createScratchOutput(this, ref, opts);
  }

  async scratchPathFor(ref: OutputRef, runId?: string): Promise<string> {
    const [customer, job, name] = refSegments(ref);
    const dir = this.jobScratchDir(customer, job);
    await mkdir(dir, { recursive: true });
    return scratchPath(dir, name, runId);
  }

  /** The fence is checked before the upload starts (an upload in flight cannot be taken back). */
  async store(scratch: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredObject> {
    await fence?.();
    const stored = await this.upload(scratch, this.keyOf(ref)!);
    await this.discard(scratch);
    return stored;
  }

  /** Uploads every file, then deletes objects an older version of the output left that are not in this one. */
  async storeDir(scratchDir: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredFile[]> {
    const base = this.keyOf(ref)!;
    await fence?.();
    const relatives: string[] = [];
    for (const entry of await readdir(scratchDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        relatives.push(path.relative(scratchDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
    }
    relatives.sort((a, b) => a.localeCompare(b));
    const files: StoredFile[] = [];
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < relatives.length) {
        const rel = relatives[next++]!;
        try {
          files.push({ path: rel, ...(await this.upload(path.join(scratchDir, ...rel.split('/')), `${base}/${rel}`)) });
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    // Every upload settles before a failure is handled, so none lands after the clean-up.
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(DIR_CONCURRENCY, relatives.length) }, worker),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      // A half-uploaded directory is worth nothing (the API serves it only once the output is
      // completed): remove what landed, best effort, so a job that fails for good leaves no objects.
      await this.bucket
        .list(`${base}/`)
        .then((keys) => this.bucket.delete(keys))
        .catch(() => undefined);
      throw failure.reason;
    }
    const fresh = new Set(relatives.map((r) => `${base}/${r}`));
    await this.bucket.delete((await this.bucket.list(`${base}/`)).filter((k) => !fresh.has(k)));
    await this.discard(scratchDir);
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  async stat(ref: OutputRef, file?: string): Promise<{ sizeBytes: number } | null> {
    const key = this.keyOf(ref, file);
    const size = key === null ? null : await this.bucket.size(key);
    return size === null ? null : { sizeBytes: size };
  }

  async open(ref: OutputRef, file?: string, range?: ByteRange): Promise<OpenedObject | null> {
    const key = this.keyOf(ref, file);
    return key === null ? null : this.bucket.get(key, range);
  }

  async clearTemps(customerId: string, jobId: string, keepRunId?: string): Promise<number> {
    return removeScratch(this.jobScratchDir(customerId, jobId), keepRunId);
  }

  /** Deletes every object under `<customer>/<job>/`. */
  async removeJob(customerId: string, jobId: string): Promise<void> {
    const [customer, job] = refSegments({ customerId, jobId, name: 'x' });
    await this.bucket.delete(await this.bucket.list(`${customer}/${job}/`));
  }

  /** Removes the scratch file or directory, and its run's and the job's scratch folders once they are empty. */
  async discard(scratch: string): Promise<void> {
    await rm(scratch, { force: true, recursive: true });
    await pruneRunFolder(scratch);
    const parent = path.dirname(scratch);
    await rmdir(path.basename(parent).startsWith('.tmp-run-') ? path.dirname(parent) : parent).catch(() => undefined);
  }

  private jobScratchDir(customerId: string, jobId: string): string {
    const [customer, job] = refSegments({ customerId, jobId, name: 'x' });
    return path.join(this.scratchDir, customer, job);
  }

  /** Streams a local file to `key`, hashing it on the way; the read stops if the upload fails. */
  private async upload(file: string, key: string): Promise<StoredObject> {
    const reader = createReadStream(file);
    const sum = new ChecksumStream();
    const piping = pipeline(reader, sum);
    try {
      await this.bucket.put(key, sum, CONTENT_TYPES[path.extname(key)]);
    } catch (err) {
      reader.destroy();
      sum.destroy();
      await piping.catch(() => undefined);
      throw err;
    }
    await piping;
    return { sizeBytes: sum.bytes, checksum: sum.checksum() };
  }
}

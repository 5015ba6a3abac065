import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CUSTOMER_ID_PATTERN } from '@kiln/jobs';
import type { S3Bucket } from '@kiln/storage';
import type { UploadLookup } from './input-policy.js';

/** The shape of upload ids: the UUIDs {@link UploadStorage.save} makes (lower case, as on disk). */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The body went over the limit; nothing was kept. */
export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`upload is larger than ${maxBytes} bytes`);
    this.name = new.target.name;
  }
}

/** The body was empty; nothing was kept. */
export class EmptyUploadError extends Error {
  constructor() {
    super('upload is empty');
    this.name = new.target.name;
  }
}

/** The client went away before the body ended; nothing was kept. */
export class UploadAbortedError extends Error {
  constructor() {
    super('the upload was interrupted before its end');
    this.name = new.target.name;
  }
}

/** Counts bytes on their way through and fails the stream once there are more than `max`. */
class ByteLimit extends Transform {
  bytes = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(new UploadTooLargeError(this.max));
    else done(null, chunk);
  }
}

/** Where uploaded inputs are kept: {@link UploadStorage} on local disk or {@link S3UploadStorage}. */
export interface UploadStore extends UploadLookup {
  /**
   * Streams `source` to a new upload of at most `maxBytes`. Over the limit, empty or interrupted,
   * nothing is kept and an error says which. `source` is never destroyed, so an HTTP caller can
   * still answer on the same connection.
   */
  save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }>;
}

/**
 * Listens for the end of `source` while it is piped into `limit`: a request that closes before its
 * end, or fails, fails `limit` with {@link UploadAbortedError}. Returns the function that stops
 * listening.
 */
function watchSource(source: Readable, limit: ByteLimit): () => void {
  const onAbort = () => {
    if (!source.readableEnded) limit.destroy(new UploadAbortedError());
  };
  const onError = () => limit.destroy(new UploadAbortedError());
  source.once('close', onAbort);
  source.once('error', onError);
  return () => {
    source.off('close', onAbort);
    source.off('error', onError);
  };
}

/**
 * Uploaded inputs on local disk at `<storage>/uploads/<customerId>/<uploadId>`, the path the worker
 * reads `upload://<uploadId>` from. A body is written under a temporary name and renamed into place
 * once complete, so a half-written upload is never visible under its id.
 */
export class UploadStorage implements UploadStore {
  readonly root: string;

  constructor(storageDir: string) {
    this.root = path.resolve(storageDir, 'uploads');
  }

  /** Where an upload lives; throws a RangeError for ids that are not ours (no path tricks). */
  pathOf(customerId: string, uploadId: string): string {
    if (!CUSTOMER_ID_PATTERN.test(customerId)) throw new RangeError(`unsafe customer id ${JSON.stringify(customerId)}`);
    if (!UPLOAD_ID_PATTERN.test(uploadId)) throw new RangeError(`not an upload id: ${JSON.stringify(uploadId)}`);
    return path.join(this.root, customerId, uploadId);
  }

  /** Removes uploads older than `maxAgeMs`; see {@link removeUploadsOlderThan}. */
  removeOlderThan(maxAgeMs: number, now = Date.now()): Promise<number> {
    return removeUploadsOlderThan(this.root, now - maxAgeMs);
  }

  /** Whether the customer has a complete upload with this id. */
  async exists(customerId: string, uploadId: string): Promise<boolean> {
    if (!UPLOAD_ID_PATTERN.test(uploadId) || !CUSTOMER_ID_PATTERN.test(customerId)) return false;
    try {
      return (await stat(this.pathOf(customerId, uploadId))).isFile();
    } catch {
      return false;
    }
  }

  /** See {@link UploadStore.save}; a partial file is removed. */
  async save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }> {
    const id = randomUUID();
    const finalPath = this.pathOf(customerId, id);
    await mkdir(path.dirname(finalPath), { recursive: true });
    const tempPath = path.join(path.dirname(finalPath), `.tmp-${id}`);
    const limit = new ByteLimit(maxBytes);
    const unwatch = watchSource(source, limit);
    // source.pipe (not pipeline) because pipeline destroys its source on failure, which for a
    // request means the socket, and the 413 could not be sent.
    const written = pipeline(limit, createWriteStream(tempPath, { flags: 'wx' }));
    source.pipe(limit);
    try {
      await written;
      if (limit.bytes === 0) throw new EmptyUploadError();
      await rename(tempPath, finalPath);
      return { id, sizeBytes: limit.bytes };
    } catch (err) {
      source.unpipe(limit);
      await rm(tempPath, { force: true });
      throw err;
    } finally {
      unwatch();
    }
  }
}

/**
 * Removes the uploads (and interrupted temp files) under `root` last written before `cutoffMs`;
 * returns how many. Customer folders stay (an upload may be arriving in one). A job whose upload
 * expired fails with "upload not found", and a new job cannot name it (the API's input check).
 */
export async function removeUploadsOlderThan(root: string, cutoffMs: number): Promise<number> {
  let removed = 0;
  let customers: string[];
  try {
    customers = await readdir(root);
  } catch {
    return 0;
  }
  for (const customer of customers) {
    const dir = path.join(root, customer);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile() || info.mtimeMs >= cutoffMs) continue;
      await rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Uploaded inputs in the S3 bucket (KILN_S3_BUCKET) at `<prefix>uploads/<customerId>/<uploadId>`,
 * where workers on other machines download `upload://<uploadId>` from. The body is streamed to
 * the bucket (multipart above 8 MiB, never whole in memory) and the object exists only once the
 * upload completed; an interrupted or oversized one is aborted and leaves nothing.
 */
export class S3UploadStorage implements UploadStore {
  constructor(private readonly bucket: S3Bucket) {}

  /** The object key (under the bucket prefix); throws a RangeError for ids that are not ours. */
  keyOf(customerId: string, uploadId: string): string {
    if (!CUSTOMER_ID_PATTERN.test(customerId)) throw new RangeError(`unsafe customer id ${JSON.stringify(customerId)}`);
    if (!UPLOAD_ID_PATTERN.test(uploadId)) throw new RangeError(`not an upload id: ${JSON.stringify(uploadId)}`);
    return `uploads/${customerId}/${uploadId}`;
  }

  async exists(customerId: string, uploadId: string): Promise<boolean> {
    if (!UPLOAD_ID_PATTERN.test(uploadId) || !CUSTOMER_ID_PATTERN.test(customerId)) return false;
    return (await this.bucket.size(this.keyOf(customerId, uploadId))) !== null;
  }

  /** See {@link UploadStore.save}; an empty body is deleted again after its (empty) PUT. */
  async save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }> {
    const id = randomUUID();
    const key = this.keyOf(customerId, id);
    const limit = new ByteLimit(maxBytes);
    const unwatch = watchSource(source, limit);
    source.pipe(limit);
    try {
      await this.bucket.put(key, limit);
      if (limit.bytes === 0) {
        await this.bucket.delete([key]);
        throw new EmptyUploadError();
      }
      return { id, sizeBytes: limit.bytes };
    } catch (err) {
      source.unpipe(limit);
      // lib-storage reports the stream's own error wrapped or as is, depending on where it struck.
      if (limit.destroyed && limit.errored instanceof Error && !(err instanceof EmptyUploadError)) throw limit.errored;
      throw err;
    } finally {
      unwatch();
    }
  }
}

import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EmptyUploadError } from './storage.errors.js';
import { countUpload } from './upload-source.js';
import { isUploadRef, UPLOADS_DIR, uploadPath, type UploadStore } from './uploads.js';

/**
 * Uploaded inputs on local disk at `<storage>/uploads/<customerId>/<uploadId>` (see `uploadKey`),
 * the path the worker reads `upload://<uploadId>` from. A body is written under a temporary name
 * and renamed into place once complete, so a half-written upload is never visible under its id.
 */
export class UploadStorage implements UploadStore {
  readonly root: string;

  constructor(private readonly storageDir: string) {
    this.root = path.resolve(storageDir, UPLOADS_DIR);
  }

  /** Where an upload lives; throws an `UnsafeStoragePathError` for ids that are not ours. */
  pathOf(customerId: string, uploadId: string): string {
    return uploadPath(this.storageDir, customerId, uploadId);
  }

  /** Removes uploads older than `maxAgeMs`; see {@link removeUploadsOlderThan}. */
  removeOlderThan(maxAgeMs: number, now = Date.now()): Promise<number> {
    return removeUploadsOlderThan(this.root, now - maxAgeMs);
  }

  async exists(customerId: string, uploadId: string): Promise<boolean> {
    if (!isUploadRef(customerId, uploadId)) return false;
    try {
      return (await stat(this.pathOf(customerId, uploadId))).isFile();
    } catch {
      return false;
    }
  }

  async remove(customerId: string, uploadId: string): Promise<void> {
    if (!isUploadRef(customerId, uploadId)) return;
    await rm(this.pathOf(customerId, uploadId), { force: true });
  }

  /** See {@link UploadStore.save}; a partial file is removed. */
  async save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }> {
    const id = randomUUID();
    const finalPath = this.pathOf(customerId, id);
    await mkdir(path.dirname(finalPath), { recursive: true });
    const tempPath = path.join(path.dirname(finalPath), `.tmp-${id}`);
    const { counter, detach } = countUpload(source, maxBytes);
    try {
      await pipeline(counter, createWriteStream(tempPath, { flags: 'wx' }));
      if (counter.bytes === 0) throw new EmptyUploadError();
      await rename(tempPath, finalPath);
      return { id, sizeBytes: counter.bytes };
    } catch (err) {
      detach();
      await rm(tempPath, { force: true });
      throw err;
    } finally {
      detach();
    }
  }
}

/**
 * Removes the uploads (and interrupted temp files) under `root` last written before `cutoffMs`;
 * returns how many. Customer folders stay (an upload may be arriving in one). A job whose upload
 * expired fails with "upload not found", and a new job cannot name it (the API's input check).
 */
async function removeUploadsOlderThan(root: string, cutoffMs: number): Promise<number> {
  let removed = 0;
  const customers = await readdir(root).catch(() => [] as string[]);
  for (const customer of customers) {
    const dir = path.join(root, customer);
    const names = await readdir(dir).catch(() => [] as string[]);
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

import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { checksumFile } from './checksum.js';
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

/**
 * Outputs on local disk under `<root>/<customer>/<job>/<name>.<ext>`. Files are written under a
 * temporary name and renamed into place, so a half-written output is never visible.
 */
export class LocalStorage implements OutputStorage, ScratchStore {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * Where an output is kept for good. Every part is checked to be one plain path segment, so no
   * id or name can point outside the root.
   */
  finalPath(customerId: string, jobId: string, fileName: string): string {
    return path.join(this.root, ...refSegments({ customerId, jobId, name: fileName }));
  }

  /** A scratch output next to its final place (same file system), so committing it is an atomic rename. */
  scratch(ref: OutputRef, opts?: ScratchOptions): Promise<ScratchOutput> {
    return createScratchOutput(this, ref, opts);
  }

  /** The scratch file sits next to its final place (same file system), so storing it is an atomic rename. */
  async scratchPathFor(ref: OutputRef, runId?: string): Promise<string> {
    const finalPath = this.finalPath(ref.customerId, ref.jobId, ref.name);
    await mkdir(path.dirname(finalPath), { recursive: true });
    return scratchPath(path.dirname(finalPath), path.basename(finalPath), runId);
  }

  /**
   * Checksums the finished file, then renames it into place. The fence is checked after the
   * checksum (which reads the whole file), right before the rename, so the run that renames is
   * the one that owned the job a moment ago and the checksum it records is the stored file's.
   */
  async store(scratch: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredObject> {
    const stored = await checksumFile(scratch);
    await fence?.();
    await rename(scratch, this.finalPath(ref.customerId, ref.jobId, ref.name));
    await pruneRunFolder(scratch);
    return stored;
  }

  /**
   * Renames the finished directory (HLS, thumbnails) into place, replacing an older one, then
   * lists its files (paths relative to it, sorted) with their sizes and checksums.
   */
  async storeDir(scratchDir: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredFile[]> {
    const finalDir = this.finalPath(ref.customerId, ref.jobId, ref.name);
    await fence?.();
    await rm(finalDir, { recursive: true, force: true });
    await rename(scratchDir, finalDir);
    await pruneRunFolder(scratchDir);
    const files: StoredFile[] = [];
    for (const entry of await readdir(finalDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      files.push({ path: path.relative(finalDir, full).split(path.sep).join('/'), ...(await checksumFile(full)) });
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  async stat(ref: OutputRef, file?: string): Promise<{ sizeBytes: number } | null> {
    const full = this.storedPath(ref, file);
    if (!full) return null;
    try {
      const info = await stat(full);
      return info.isFile() ? { sizeBytes: info.size } : null;
    } catch {
      return null;
    }
  }

  async open(ref: OutputRef, file?: string, range?: ByteRange): Promise<OpenedObject | null> {
    const full = this.storedPath(ref, file);
    const info = full ? await this.stat(ref, file) : null;
    if (!full || !info) return null;
    return {
      body: createReadStream(full, range ? { start: range.start, end: range.end } : {}),
      sizeBytes: info.sizeBytes,
    };
  }

  /** A stored file, or one inside a stored directory; null when `file` would leave it (only plain segments). */
  private storedPath(ref: OutputRef, file?: string): string | null {
    const base = this.finalPath(ref.customerId, ref.jobId, ref.name);
    if (file === undefined) return base;
    const parts = relativeSegments(file);
    return parts ? path.join(base, ...parts) : null;
  }

  /** Removes the job's folder with every output (and temp file) in it. */
  async removeJob(customerId: string, jobId: string): Promise<void> {
    await rm(path.dirname(this.finalPath(customerId, jobId, 'x')), { recursive: true, force: true });
  }

  /** Removes the temp files earlier runs left in a job's folder (all but `keepRunId`'s). */
  async clearTemps(customerId: string, jobId: string, keepRunId?: string): Promise<number> {
    return removeScratch(path.dirname(this.finalPath(customerId, jobId, 'x')), keepRunId);
  }

  /** Removes a temp file or directory (and its run's folder once empty); missing is fine. */
  async discard(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true, recursive: true });
    await pruneRunFolder(tempPath);
  }
}

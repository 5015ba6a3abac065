import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { checksumFile } from './checksum.js';
import { removeScratch, scratchName } from './scratch-files.js';
import { refSegments, relativeSegments, type ByteRange, type OpenedObject, type OutputRef, type OutputStorage, type StoredFile, type StoredObject } from './output-storage.js';

/**
 * Outputs on local disk under `<root>/<customer>/<job>/<name>.<ext>`. Files are written under a
 * temporary name and renamed into place, so a half-written output is never visible.
 */
export class LocalStorage implements OutputStorage {
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

  /** The scratch file sits next to its final place, so storing it is an atomic rename. */
  async scratchPathFor(ref: OutputRef): Promise<string> {
    return this.tempPathFor(this.finalPath(ref.customerId, ref.jobId, ref.name));
  }

  /** Checksums the finished file, then renames it into place. */
  async store(scratchPath: string, ref: OutputRef): Promise<StoredObject> {
    const stored = await checksumFile(scratchPath);
    await this.commit(scratchPath, this.finalPath(ref.customerId, ref.jobId, ref.name));
    return stored;
  }

  /** Renames the finished directory into place, then checksums each of its files. */
  async storeDir(scratchDir: string, ref: OutputRef): Promise<StoredFile[]> {
    const finalDir = this.finalPath(ref.customerId, ref.jobId, ref.name);
    const files = await this.commitDir(scratchDir, finalDir);
    const out: StoredFile[] = [];
    for (const f of files) out.push({ path: f.path, ...(await checksumFile(path.join(finalDir, ...f.path.split('/')))) });
    return out;
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
    return { body: createReadStream(full, range ? { start: range.start, end: range.end } : {}), sizeBytes: info.sizeBytes };
  }

  private storedPath(ref: OutputRef, file?: string): string | null {
    const base = this.finalPath(ref.customerId, ref.jobId, ref.name);
    return file === undefined ? base : this.fileInside(base, file);
  }

  /** Whether a stored file exists (and its size). */
  async sizeOf(filePath: string): Promise<number | null> {
    try {
      return (await stat(filePath)).size;
    } catch {
      return null;
    }
  }

  /** A fresh temporary path next to the final one (same file system, so rename is atomic). */
  async tempPathFor(finalPath: string): Promise<string> {
    await mkdir(path.dirname(finalPath), { recursive: true });
    return scratchName(path.dirname(finalPath), path.basename(finalPath));
  }

  /**
   * Moves a finished temp directory (HLS, thumbnails) into place, replacing an older one, and
   * lists its files (paths relative to it, sorted) with their sizes.
   */
  async commitDir(tempDir: string, finalDir: string): Promise<{ path: string; sizeBytes: number }[]> {
    await rm(finalDir, { recursive: true, force: true });
    await rename(tempDir, finalDir);
    const files: { path: string; sizeBytes: number }[] = [];
    for (const entry of await readdir(finalDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      files.push({ path: path.relative(finalDir, full).split(path.sep).join('/'), sizeBytes: (await stat(full)).size });
    }
    return files.sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * A file inside a stored directory output, or null when `relative` would leave it (only plain
   * segments, no `..`, no hidden names).
   */
  fileInside(dir: string, relative: string): string | null {
    const parts = relativeSegments(relative);
    return parts ? path.join(dir, ...parts) : null;
  }

  /** Moves a finished temp file into place and returns its size. */
  async commit(tempPath: string, finalPath: string): Promise<number> {
    await rename(tempPath, finalPath);
    return (await stat(finalPath)).size;
  }

  /**
   * Removes the temp files a crashed earlier attempt left in a job's folder. Call it when an
   * attempt starts: BullMQ's lock guarantees no other worker is writing there then.
   */
  /** Removes the job's folder with every output (and temp file) in it. */
  async removeJob(customerId: string, jobId: string): Promise<void> {
    await rm(path.dirname(this.finalPath(customerId, jobId, 'x')), { recursive: true, force: true });
  }

  async clearTemps(customerId: string, jobId: string): Promise<number> {
    return removeScratch(path.dirname(this.finalPath(customerId, jobId, 'x')));
  }

  /** Removes a temp file or directory; missing is fine. */
  async discard(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true, recursive: true });
  }
}

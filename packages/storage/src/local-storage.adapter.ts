import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Outputs on local disk under `<root>/<customer>/<job>/<name>.<ext>`. Files are written under a
 * temporary name and renamed into place, so a half-written output is never visible.
 */
export class LocalStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * Where an output is kept for good. Every part is checked to be one plain path segment, so no
   * id or name can point outside the root.
   */
  finalPath(customerId: string, jobId: string, fileName: string): string {
    for (const part of [customerId, jobId, fileName]) {
      if (!SAFE_SEGMENT.test(part) || part === '.' || part === '..') throw new RangeError(`unsafe storage path segment: ${JSON.stringify(part)}`);
    }
    return path.join(this.root, customerId, jobId, fileName);
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
    return path.join(path.dirname(finalPath), `.tmp-${randomUUID()}-${path.basename(finalPath)}`);
  }

  /** Moves a finished temp file into place and returns its size. */
  async commit(tempPath: string, finalPath: string): Promise<number> {
    await rename(tempPath, finalPath);
    return (await stat(finalPath)).size;
  }

  /** Removes a temp file; missing is fine. */
  async discard(tempPath: string): Promise<void> {
    await rm(tempPath, { force: true });
  }
}

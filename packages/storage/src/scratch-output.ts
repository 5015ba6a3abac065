import type { OutputRef, StoredFile, StoredObject } from './output-storage.js';

/** What storing a scratch output gave: its size and checksum (a file), or its files (a directory). */
export interface StoredOutput {
  sizeBytes: number;
  /** `sha256:<hex>` of a file output; null for a directory output, whose files carry one each. */
  checksum: string | null;
  /** The files of a directory output, sorted by path; absent for a file output. */
  files?: StoredFile[];
}

/**
 * A local place for one output while it is made: ffmpeg writes to `path`, then `commit` puts it in
 * place whole (local: a rename; S3: an upload) or `discard` throws it away. Whoever holds one calls
 * `discard` when done, whatever happened: after a commit it does nothing, so no caller tracks which
 * scratch files are still around.
 */
export interface ScratchOutput {
  /** Where to write: a file, or a directory for directory outputs (HLS, thumbnails). */
  readonly path: string;
  /**
   * Stores what was written at `path`, replacing an older version of the output. `fence` is
   * awaited right before the stored output is replaced; if it throws, nothing is replaced (a
   * worker passes a check that its run still owns the job).
   */
  commit(fence?: () => Promise<void>): Promise<StoredOutput>;
  /** Removes what was written at `path` (missing is fine); nothing once committed. */
  discard(): Promise<void>;
}

/** How a scratch output is asked for. */
export interface ScratchOptions {
  /** Puts the scratch path in this run's own folder, which no other run of the job touches. */
  runId?: string | undefined;
  /** The output is a directory (HLS, thumbnails) rather than one file. */
  directory?: boolean | undefined;
}

/** The storage primitives a {@link ScratchOutput} is made of; both adapters have them. */
export interface ScratchStore {
  scratchPathFor(ref: OutputRef, runId?: string): Promise<string>;
  store(scratchPath: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredObject>;
  storeDir(scratchDir: string, ref: OutputRef, fence?: () => Promise<void>): Promise<StoredFile[]>;
  discard(scratchPath: string): Promise<void>;
}

/** A {@link ScratchOutput} of `store` for `ref`: a fresh scratch path, committed or discarded once. */
export async function createScratchOutput(
  store: ScratchStore,
  ref: OutputRef,
  opts: ScratchOptions = {},
): Promise<ScratchOutput> {
  const path = await store.scratchPathFor(ref, opts.runId);
  let state: 'open' | 'committing' | 'committed' | 'discarded' = 'open';
  return {
    path,
    async commit(fence) {
      if (state !== 'open') throw new Error(`scratch output ${ref.name} was already ${state}`);
      state = 'committing';
      try {
        const stored = await commitTo(store, path, ref, opts.directory === true, fence);
        state = 'committed';
        return stored;
      } catch (err) {
        state = 'open';
        throw err;
      }
    },
    async discard() {
      if (state === 'committed' || state === 'discarded') return;
      state = 'discarded';
      await store.discard(path);
    },
  };
}

async function commitTo(
  store: ScratchStore,
  path: string,
  ref: OutputRef,
  directory: boolean,
  fence: (() => Promise<void>) | undefined,
): Promise<StoredOutput> {
  if (!directory) return store.store(path, ref, fence);
  const files = await store.storeDir(path, ref, fence);
  return { files, sizeBytes: files.reduce((n, f) => n + f.sizeBytes, 0), checksum: null };
}

import { access, copyFile, mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { constants, createReadStream } from 'node:fs';
import { refSegments } from './output-storage.js';
import type { S3Bucket } from './s3-bucket.adapter.js';

/** Where one file of a chunked encode's plan lives: the job, the plan, and the file's name in it. */
export interface ChunkFileRef {
  customerId: string;
  jobId: string;
  planId: string;
  /** A plain relative name (`source`, `audio-128.m4a`, `c0007/r0.mp4`): segments of letters, digits, `.`, `_`, `-`. */
  name: string;
}

/**
 * The files a chunked encode shares between machines: the input every chunk reads, the encoded
 * chunks the stitch reads, and the audio encoded once. They live beside the job's outputs, in a
 * hidden `.chunks/<planId>/` folder (local disk) or under that key prefix (S3), so deleting the job
 * deletes them too, and the API never serves them (output names cannot start with a dot).
 */
export interface ChunkStore {
  readonly kind: 'local' | 's3';
  /**
   * Stores a local file under `ref`: copied, or with `move` moved when it can be (local disk, same
   * file system) and removed otherwise.
   */
  put(ref: ChunkFileRef, localFile: string, opts?: { move?: boolean }): Promise<void>;
  /**
   * A local path to read `ref` from: the stored file itself on local disk; on S3 a download into
   * `workDir`. Null when it is missing.
   */
  fetch(ref: ChunkFileRef, workDir: string, signal?: AbortSignal): Promise<string | null>;
  /** Whether `ref` is stored (a file put whole; never one half written). */
  has(ref: ChunkFileRef): Promise<boolean>;
  /** Removes one file or folder of a plan (a chunk run's files that lost the race); missing is fine. */
  remove(ref: ChunkFileRef): Promise<void>;
  /** Removes every file of a plan; missing is fine. */
  removePlan(ref: Omit<ChunkFileRef, 'name'>): Promise<void>;
}

const NAME_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** The relative segments of a chunk file, checked: `.chunks`, the plan id and the file's own segments. */
function chunkSegments(ref: Omit<ChunkFileRef, 'name'>, name?: string): string[] {
  const [customer, job] = refSegments({ customerId: ref.customerId, jobId: ref.jobId, name: 'x' });
  const parts = name === undefined ? [] : name.split('/');
  for (const part of [ref.planId, ...parts])
    if (!NAME_SEGMENT.test(part) || part === '..')
      throw new RangeError(`unsafe chunk file name: ${JSON.stringify(part)}`);
  return [customer, job, '.chunks', ref.planId, ...parts];
}

/** Chunk files on the local disk the API and workers share (`KILN_STORAGE_DIR`). */
export class LocalChunkStore implements ChunkStore {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The path a chunk file has on disk. */
  pathOf(ref: ChunkFileRef): string {
    return path.join(this.root, ...chunkSegments(ref, ref.name));
  }

  async put(ref: ChunkFileRef, localFile: string, opts: { move?: boolean } = {}): Promise<void> {
    const dest = this.pathOf(ref);
    await mkdir(path.dirname(dest), { recursive: true });
    // Written under a temporary name first: a reader never sees half a file.
    const temp = `${dest}.part`;
    const moved = opts.move
      ? await rename(localFile, temp).then(
          () => true,
          // Another file system (the worker's scratch is in /tmp): copy instead.
          () => false,
        )
      : false;
    // A copy-on-write clone where the file system has them (btrfs, XFS): no bytes copied.
    if (!moved) await copyFile(localFile, temp, constants.COPYFILE_FICLONE);
    await rename(temp, dest);
    if (opts.move && !moved) await rm(localFile, { force: true });
  }

  async fetch(ref: ChunkFileRef): Promise<string | null> {
    const file = this.pathOf(ref);
    try {
      await access(file);
      return file;
    } catch {
      return null;
    }
  }

  async has(ref: ChunkFileRef): Promise<boolean> {
    return (await this.fetch(ref)) !== null;
  }

  async remove(ref: ChunkFileRef): Promise<void> {
    await rm(this.pathOf(ref), { recursive: true, force: true });
  }

  async removePlan(ref: Omit<ChunkFileRef, 'name'>): Promise<void> {
    const dir = path.join(this.root, ...chunkSegments(ref));
    await rm(dir, { recursive: true, force: true });
    // The `.chunks` folder goes with its last plan.
    await rmdir(path.dirname(dir)).catch(() => undefined);
  }
}

/** Chunk files in the S3 bucket of the outputs, under `<customer>/<job>/.chunks/<planId>/`. */
export class S3ChunkStore implements ChunkStore {
  readonly kind = 's3' as const;

  constructor(private readonly bucket: S3Bucket) {}

  private keyOf(ref: Omit<ChunkFileRef, 'name'>, name?: string): string {
    return chunkSegments(ref, name).join('/');
  }

  async put(ref: ChunkFileRef, localFile: string, opts: { move?: boolean } = {}): Promise<void> {
    await this.bucket.put(this.keyOf(ref, ref.name), createReadStream(localFile));
    if (opts.move) await rm(localFile, { force: true });
  }

  async fetch(ref: ChunkFileRef, workDir: string, signal?: AbortSignal): Promise<string | null> {
    const dest = path.join(workDir, ...ref.name.split('/'));
    await mkdir(path.dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    return (await this.bucket.download(this.keyOf(ref, ref.name), dest, signal)) === null ? null : dest;
  }

  async has(ref: ChunkFileRef): Promise<boolean> {
    return (await this.bucket.size(this.keyOf(ref, ref.name))) !== null;
  }

  async remove(ref: ChunkFileRef): Promise<void> {
    const key = this.keyOf(ref, ref.name);
    await this.bucket.delete([key, ...(await this.bucket.list(`${key}/`))]);
  }

  async removePlan(ref: Omit<ChunkFileRef, 'name'>): Promise<void> {
    await this.bucket.delete(await this.bucket.list(`${this.keyOf(ref)}/`));
  }
}

/** The chunk store beside the configured outputs: the bucket's when there is one, else `storageDir`'s. */
export function createChunkStore(storageDir: string, bucket?: S3Bucket): ChunkStore {
  return bucket ? new S3ChunkStore(bucket) : new LocalChunkStore(storageDir);
}

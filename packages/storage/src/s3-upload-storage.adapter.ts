import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Bucket } from './s3-bucket.adapter.js';
import { EmptyUploadError } from './storage.errors.js';
import { countUpload } from './upload-source.js';
import { isUploadRef, uploadKey, type UploadStore } from './uploads.js';

/**
 * Uploaded inputs in the S3 bucket (KILN_S3_BUCKET) at `<prefix>uploads/<customerId>/<uploadId>`,
 * where workers on other machines download `upload://<uploadId>` from. The body is streamed to
 * the bucket (multipart above 8 MiB, never whole in memory) and the object exists only once the
 * upload completed; an interrupted or oversized one is aborted and leaves nothing.
 */
export class S3UploadStorage implements UploadStore {
  constructor(private readonly bucket: S3Bucket) {}

  /** The object key (under the bucket prefix); throws an `UnsafeStoragePathError` for ids that are not ours. */
  keyOf(customerId: string, uploadId: string): string {
    return uploadKey(customerId, uploadId);
  }

  async exists(customerId: string, uploadId: string): Promise<boolean> {
    if (!isUploadRef(customerId, uploadId)) return false;
    return (await this.bucket.size(this.keyOf(customerId, uploadId))) !== null;
  }

  async remove(customerId: string, uploadId: string): Promise<void> {
    if (!isUploadRef(customerId, uploadId)) return;
    await this.bucket.delete([this.keyOf(customerId, uploadId)]);
  }

  /** See {@link UploadStore.save}; an empty body is deleted again after its (empty) PUT. */
  async save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }> {
    const id = randomUUID();
    const key = this.keyOf(customerId, id);
    const { counter, detach } = countUpload(source, maxBytes);
    try {
      await this.bucket.put(key, counter);
      if (counter.bytes === 0) {
        await this.bucket.delete([key]);
        throw new EmptyUploadError();
      }
      return { id, sizeBytes: counter.bytes };
    } catch (err) {
      detach();
      // lib-storage reports the stream's own error wrapped or as is, depending on where it struck.
      if (counter.destroyed && counter.errored instanceof Error && !(err instanceof EmptyUploadError))
        throw counter.errored;
      throw err;
    } finally {
      detach();
    }
  }
}

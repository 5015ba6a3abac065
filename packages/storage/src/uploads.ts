import path from 'node:path';
import type { Readable } from 'node:stream';
import { isCustomerId } from '@kiln/config';
import { UnsafeStoragePathError } from './storage.errors.js';

/**
 * An upload id as stored: the lower-case UUID {@link UploadStore.save} makes. Input may spell it in
 * any case (UUIDs are case-insensitive, RFC 9562); {@link parseUploadInput} lowers it first.
 */
const UPLOAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const UPLOAD_INPUT = /^upload:\/\/(.*)$/i;

/** Whether a job input names an upload (`upload:` scheme, in any case), well-formed or not. */
export function isUploadInput(input: string): boolean {
  return /^upload:/i.test(input);
}

/** The job input that names an upload: `upload://<id>`. */
export function uploadInput(uploadId: string): string {
  return `upload://${uploadId}`;
}

/** The upload id an `upload://<id>` input names, lower-cased; undefined when it names none. */
export function parseUploadInput(input: string): string | undefined {
  const id = UPLOAD_INPUT.exec(input)?.[1]?.toLowerCase();
  return id !== undefined && UPLOAD_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * Where an upload is kept: `uploads/<customerId>/<uploadId>`, the object key in a bucket and the
 * path under the storage directory on disk. Throws {@link UnsafeStoragePathError} for a customer or
 * upload id that is not well-formed, so no id can lead outside the uploads tree.
 */
export function uploadKey(customerId: string, uploadId: string): string {
  if (!isCustomerId(customerId)) throw new UnsafeStoragePathError(customerId);
  if (!UPLOAD_ID_PATTERN.test(uploadId)) throw new UnsafeStoragePathError(uploadId);
  return `${UPLOADS_DIR}/${customerId}/${uploadId}`;
}

/** The folder of every customer's uploads in the storage directory (or bucket prefix). */
export const UPLOADS_DIR = 'uploads';

/** {@link uploadKey} as a path under the local storage directory `storageDir`. */
export function uploadPath(storageDir: string, customerId: string, uploadId: string): string {
  return path.join(path.resolve(storageDir), ...uploadKey(customerId, uploadId).split('/'));
}

/** Whether `customerId` may have an upload `uploadId` at all (both well-formed). */
export function isUploadRef(customerId: string, uploadId: string): boolean {
  return isCustomerId(customerId) && UPLOAD_ID_PATTERN.test(uploadId);
}

/** Where uploaded inputs are kept: `UploadStorage` on local disk or `S3UploadStorage`. */
export interface UploadStore {
  /** Whether the customer has a complete upload with this id. */
  exists(customerId: string, uploadId: string): Promise<boolean>;
  /**
   * Streams `source` to a new upload of at most `maxBytes`. Over the limit, empty or interrupted,
   * nothing is kept and an error says which. `source` is never destroyed, so an HTTP caller can
   * still answer on the same connection.
   */
  save(customerId: string, source: Readable, maxBytes: number): Promise<{ id: string; sizeBytes: number }>;
  /** Removes an upload; nothing when there is none. */
  remove(customerId: string, uploadId: string): Promise<void>;
}

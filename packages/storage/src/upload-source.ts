import type { Readable } from 'node:stream';
import { ByteCounter } from './byte-counter.js';
import { UploadAbortedError, UploadTooLargeError } from './storage.errors.js';

/**
 * Pipes an upload's `source` into a counter that fails with {@link UploadTooLargeError} past
 * `maxBytes`, and with {@link UploadAbortedError} when the source closes before its end or fails.
 * `source.pipe` (not `pipeline`): pipeline destroys its source on failure, which for a request
 * means the socket, and the 413 could not be sent. `detach()` stops listening and unpipes (idempotent).
 */
export function countUpload(source: Readable, maxBytes: number): { counter: ByteCounter; detach: () => void } {
  const counter = new ByteCounter({ maxBytes, tooLarge: () => new UploadTooLargeError(maxBytes) });
  const onAbort = () => {
    if (!source.readableEnded) counter.destroy(new UploadAbortedError());
  };
  const onError = () => counter.destroy(new UploadAbortedError());
  source.once('close', onAbort);
  source.once('error', onError);
  source.pipe(counter);
  return {
    counter,
    detach: () => {
      source.off('close', onAbort);
      source.off('error', onError);
      source.unpipe(counter);
    },
  };
}

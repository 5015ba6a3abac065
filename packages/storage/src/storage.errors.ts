import { KilnError } from '@kiln/errors';

/** Thrown for an id or name that is not one plain path segment (it could point elsewhere). */
export class UnsafeStoragePathError extends KilnError {
  readonly code = 'unsafe_storage_path';

  constructor(part: string) {
    super(`unsafe storage path segment: ${JSON.stringify(part)}`);
  }
}

/** An upload's body went over the limit; nothing was kept. */
export class UploadTooLargeError extends KilnError {
  readonly code = 'upload_too_large';

  constructor(readonly maxBytes: number) {
    super(`upload is larger than ${maxBytes} bytes`);
  }
}

/** An upload's body was empty; nothing was kept. */
export class EmptyUploadError extends KilnError {
  readonly code = 'upload_empty';

  constructor() {
    super('upload is empty');
  }
}

/** The client went away before the upload's body ended; nothing was kept. */
export class UploadAbortedError extends KilnError {
  readonly code = 'upload_aborted';

  constructor() {
    super('the upload was interrupted before its end');
  }
}

import { UnrecoverableError } from 'bullmq';

/** Bad job input: fails the job at once with a readable reason, never retried. */
export class InputError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The input could not be fetched this time (network error, timeout, HTTP 5xx/429): a plain error,
 * so BullMQ retries the job with backoff. `code` becomes the job's error code if retries run out.
 */
export class InputUnavailableError extends Error {
  override name = 'InputUnavailableError';

  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The job's abort signal fired (cancel or shutdown) while its input was being fetched. */
export class InputCancelledError extends Error {
  override name = 'InputCancelledError';
  readonly code = 'input_cancelled';
}

import { KilnError } from '@kiln/errors';

/** Bad job input: fails the job at once with a readable reason, never retried (see `classifyFailure`). */
export class InputError extends KilnError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The input could not be fetched this time (network error, timeout, HTTP 5xx/429): BullMQ retries
 * the job with backoff. `code` becomes the job's error code if retries run out.
 */
export class InputUnavailableError extends KilnError {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The job's abort signal fired (cancel or shutdown) while its input was being fetched. */
export class InputCancelledError extends KilnError {
  readonly code = 'input_cancelled';

  constructor(message = 'the input fetch was cancelled', options?: ErrorOptions) {
    super(message, options);
  }
}

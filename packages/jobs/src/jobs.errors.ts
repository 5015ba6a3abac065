import { KilnError } from '@kiln/errors';

/** Thrown for a cursor that is not one of ours; the API answers 400 naming `cursor`. */
export class InvalidCursorError extends KilnError {
  readonly code = 'invalid_cursor';
}

/**
 * A job was not created because its customer is at a limit: `queued` (jobs waiting) or
 * `storedBytes` (bytes of outputs and uploads). `used` is what the customer uses of it.
 */
export class JobLimitExceededError extends KilnError {
  readonly code = 'limit_exceeded';

  constructor(
    readonly limit: 'queued' | 'storedBytes',
    readonly value: number,
    readonly used: number,
  ) {
    super(`customer is at its ${limit} limit (${value}; uses ${used})`);
  }
}

import { KilnError } from '@kiln/errors';

/** One invalid field of a request, as the API reports it (`outputs.0.preset`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The command line itself is wrong (missing key, bad option value): exit code 2. */
export class UsageError extends KilnError {
  readonly code = 'usage';
}

/**
 * A failed API call: HTTP status (0 when the API could not be reached), the API's
 * `error.code` and `error.message`, and for validation errors the fields at fault.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined = undefined,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

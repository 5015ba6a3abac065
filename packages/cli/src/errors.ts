import { KilnError } from '@kiln/errors';

/** The command line itself is wrong (missing key, bad option value): exit code 2. */
export class UsageError extends KilnError {
  readonly code = 'usage';
}

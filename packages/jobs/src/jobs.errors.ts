import { KilnError } from '@kiln/errors';

/** Thrown for a cursor that is not one of ours; the API answers 400 naming `cursor`. */
export class InvalidCursorError extends KilnError {
  readonly code = 'invalid_cursor';
}

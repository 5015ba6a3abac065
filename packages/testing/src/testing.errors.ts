import { KilnError } from '@kiln/errors';

/** Thrown when a process exits or stays unhealthy during start; the message carries its output. */
export class ProcessNotHealthyError extends KilnError {
  readonly code = 'process_not_healthy';

  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- last output ---\n${output}`);
  }
}

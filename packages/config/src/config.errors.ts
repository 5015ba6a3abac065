import { KilnError } from '@kiln/errors';

/** One variable that failed to parse, by name. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Thrown by `loadConfig`; the message names every bad variable on one line each. */
export class ConfigError extends KilnError {
  readonly code = 'invalid_config';

  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.variable}: ${i.message}`).join('\n'));
  }
}

/** A malformed KILN_INPUT_ROOTS entry. */
export class InputRootsSyntaxError extends KilnError {
  readonly code = 'invalid_input_roots';
}

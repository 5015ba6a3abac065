import { KilnError } from '@kiln/errors';

/**
 * A signed token (playback or viewer) that does not grant anything: `expired` for a genuine token
 * past its `exp`, `invalid` for anything else (forged, another secret, the other kind, malformed).
 * Routes turn it into their own answer: 403 on `/play`, 401 as a bearer token.
 */
export class TokenRejectedError extends KilnError {
  readonly code = 'token_rejected';

  constructor(
    readonly reason: 'expired' | 'invalid',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

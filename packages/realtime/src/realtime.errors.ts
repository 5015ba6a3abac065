import { KilnError } from '@kiln/errors';

/**
 * A Pusher API call that failed: a non-2xx answer, a network error, or a 200 carrying `error`.
 * `status` is the HTTP status when there was an answer; `bodyCode` the `code` of an error body
 * (soketi answers some errors with HTTP 200 and the real status there).
 */
export class PusherApiError extends KilnError {
  readonly code = 'pusher_request_failed';

  constructor(
    message: string,
    readonly status: number | undefined,
    readonly bodyCode: number | undefined,
  ) {
    super(message);
  }
}

/** The webhook is not from a Pusher app we know, or its signature does not match: answer 401. */
export class WebhookAuthError extends KilnError {
  readonly code = 'unauthorized';
}

/** The webhook is signed but its body is not a Pusher webhook: answer 400. */
export class WebhookBodyError extends KilnError {
  readonly code = 'invalid_webhook';
}

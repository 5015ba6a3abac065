import { KilnError } from '@kiln/errors';

/** A problem with one field of a request. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * Base of the errors the API answers with their own HTTP status; the error middleware turns one
 * into `{error: {code, message, fields?}}`. Anything that is neither this nor a mapped domain error
 * is a 500.
 */
export abstract class HttpError extends KilnError {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly fields?: FieldIssue[],
  ) {
    super(message);
  }
}

/** 400: the request names what was wrong in `fields`. */
export class ValidationError extends HttpError {
  readonly status = 400;
  readonly code = 'invalid_request';

  constructor(fields: FieldIssue[]) {
    super(fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields);
  }
}

/** 401: no API key, or one the API does not know. */
export class UnauthorizedError extends HttpError {
  readonly status = 401;
  readonly code = 'unauthorized';

  constructor(message = 'missing or unknown API key: send Authorization: Bearer <key>') {
    super(message);
  }
}

/** 403: the customer may not do this (another customer's channel). */
export class ForbiddenError extends HttpError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** 403 `signed_url_invalid`: a `/play` token that is forged, of another kind, or for a job finished again since. */
export class SignedUrlInvalidError extends HttpError {
  readonly status = 403;
  readonly code = 'signed_url_invalid';
}

/** 403 `signed_url_expired`: a genuine `/play` token past its expiry; ask the customer's backend for a new URL. */
export class SignedUrlExpiredError extends HttpError {
  readonly status = 403;
  readonly code = 'signed_url_expired';
}

/** 403 `viewer_token_scope`: a viewer token used on a route (or channel) it does not grant. */
export class ViewerTokenScopeError extends HttpError {
  readonly status = 403;
  readonly code = 'viewer_token_scope';
}

/** 404: `what` does not exist for this customer. */
export class NotFoundError extends HttpError {
  readonly status = 404;
  readonly code = 'not_found';

  constructor(what: string) {
    super(`${what} not found`);
  }
}

/** 409: the resource is not in a state that allows this. */
export class ConflictError extends HttpError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** 503; `Retry-After` is sent when `retryAfterSeconds` is set. */
export class ServiceUnavailableError extends HttpError {
  readonly status = 503;
  readonly code: string = 'unavailable';

  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Seconds a client is told to wait when Redis is away (ioredis reconnects within 2 s once it is back). */
const REDIS_RETRY_AFTER_S = 5;

/** 503 `redis_unavailable`: Redis did not answer in time or cannot be reached; nothing was done. */
export class RedisUnavailableError extends ServiceUnavailableError {
  override readonly code = 'redis_unavailable';

  constructor(message = 'Redis, where jobs are kept, is not answering; nothing was done, retry shortly') {
    super(message, REDIS_RETRY_AFTER_S);
  }
}

/** 409 for an `Idempotency-Key` reused with another body, or whose first request is still running. */
export abstract class IdempotencyConflictError extends HttpError {
  readonly status = 409;

  constructor(message: string) {
    super(message, [{ path: 'Idempotency-Key', message }]);
  }
}

/** 409 `idempotency_key_reused`: the key came with another request body before. */
export class IdempotencyKeyReusedError extends IdempotencyConflictError {
  readonly code = 'idempotency_key_reused';
}

/** 409 `idempotency_key_in_use`: the first request with the key has not stored its job yet. */
export class IdempotencyKeyInUseError extends IdempotencyConflictError {
  readonly code = 'idempotency_key_in_use';
}

/** 413: the request body is larger than the limit. */
export class PayloadTooLargeError extends HttpError {
  readonly status = 413;
  readonly code = 'body_too_large';
}

/** 429: the API key used up its requests for the current window (`Retry-After` says when to come back). */
export class TooManyRequestsError extends HttpError {
  readonly status = 429;
  readonly code = 'rate_limited';
}

/**
 * 429 for a customer at one of its limits (see `GET /v1/usage`), distinct from the per-key
 * `rate_limited`: the body carries which `limit` and the customer's `usage`; `Retry-After` is
 * sent when waiting helps (`retryAfterSeconds`).
 */
export abstract class CustomerLimitError extends HttpError {
  readonly status = 429;

  constructor(
    message: string,
    /** The limit, as `GET /v1/usage` names it: `queued` or `storedBytes`. */
    readonly limit: 'queued' | 'storedBytes',
    /** The customer's usage against its limits, as `GET /v1/usage` shows it. */
    readonly usage: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** 429 `queued_jobs_limit`: the customer has as many waiting jobs as it may; retry after `Retry-After`. */
export class QueuedJobsLimitError extends CustomerLimitError {
  readonly code = 'queued_jobs_limit';
}

/** 429 `stored_bytes_limit`: the customer stores as many bytes as it may; waiting does not help, deleting does. */
export class StoredBytesLimitError extends CustomerLimitError {
  readonly code = 'stored_bytes_limit';
}

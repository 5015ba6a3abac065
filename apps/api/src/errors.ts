/** A problem with one field of a request. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Base of the errors the API maps to HTTP answers; anything else is a 500. */
export class KilnError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request names what was wrong in `fields`. */
export class ValidationError extends KilnError {
  constructor(fields: FieldIssue[]) {
    super(400, 'invalid_request', fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields);
  }
}

export class UnauthorizedError extends KilnError {
  constructor(message = 'missing or unknown API key: send Authorization: Bearer <key>') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends KilnError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends KilnError {
  constructor(what: string) {
    super(404, 'not_found', `${what} not found`);
  }
}

export class ConflictError extends KilnError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/** 503; `Retry-After` is sent when `retryAfterSeconds` is set. */
export class ServiceUnavailableError extends KilnError {
  constructor(
    message: string,
    code = 'unavailable',
    readonly retryAfterSeconds?: number,
  ) {
    super(503, code, message);
  }
}

/** Seconds a client is told to wait when Redis is away (ioredis reconnects within 2 s once it is back). */
export const REDIS_RETRY_AFTER_S = 5;

/** 503 `redis_unavailable`: Redis did not answer in time or cannot be reached; nothing was done. */
export class RedisUnavailableError extends ServiceUnavailableError {
  constructor(message = 'Redis, where jobs are kept, is not answering; nothing was done, retry shortly') {
    super(message, 'redis_unavailable', REDIS_RETRY_AFTER_S);
  }
}

/** 409 for an `Idempotency-Key` reused with another body, or whose first request is still running. */
export class IdempotencyConflictError extends KilnError {
  constructor(code: 'idempotency_key_reused' | 'idempotency_key_in_use', message: string) {
    super(409, code, message, [{ path: 'Idempotency-Key', message }]);
  }
}

export class PayloadTooLargeError extends KilnError {
  constructor(message: string) {
    super(413, 'body_too_large', message);
  }
}

/** 429: the API key used up its requests for the current window (`Retry-After` says when to come back). */
export class TooManyRequestsError extends KilnError {
  constructor(message: string) {
    super(429, 'rate_limited', message);
  }
}

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

export class ServiceUnavailableError extends KilnError {
  constructor(message: string) {
    super(503, 'unavailable', message);
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

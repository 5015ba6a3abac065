import { jsonErrorHandler, sendError } from '@kiln/app-kit';
import type { Logger } from '@kiln/logger';
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { KilnError } from '@kiln/errors';
import { EndpointLimitError } from '@kiln/customer-webhooks';
import { isRedisUnavailableError } from '@kiln/jobs';
import { UploadAbortedError } from '@kiln/storage';
import {
  CustomerLimitError,
  HttpError,
  RedisUnavailableError,
  ServiceUnavailableError,
  ValidationError,
  type FieldIssue,
} from '../http.errors.js';

/** Errors of the packages that reach the client as they are, with their own code and message. */
const DOMAIN_STATUS: ReadonlyMap<abstract new (...args: never[]) => KilnError, number> = new Map<
  abstract new (...args: never[]) => KilnError,
  number
>([
  [UploadAbortedError, 400],
  [EndpointLimitError, 409],
]);

/** The status of a Kiln error the API answers with, or undefined for one that is a 500. */
function statusOf(err: KilnError): number | undefined {
  if (err instanceof HttpError) return err.status;
  for (const [type, status] of DOMAIN_STATUS) if (err instanceof type) return status;
  return undefined;
}

/** Turns zod issues into our field list (`outputs.0.preset`). */
export function validationErrorFrom(err: ZodError, root?: string): ValidationError {
  return new ValidationError(
    err.issues.map((i) => ({
      path: [root, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || '(body)',
      message: i.message,
    })),
  );
}

/**
 * The one place errors become HTTP answers: our error classes keep their status, mapped package
 * errors (an interrupted upload) get theirs with their own code, body-parser's
 * errors become 400/413, Redis being away (from any route or middleware) a 503 with `Retry-After`,
 * anything else is a logged 500 without internals in the body.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  const fallback = jsonErrorHandler(logger, 'unhandled error');
  return (err: unknown, req, res, next) => {
    if (err instanceof ZodError) err = validationErrorFrom(err);
    if (isRedisUnavailableError(err)) err = new RedisUnavailableError();
    if (
      (err instanceof ServiceUnavailableError || err instanceof CustomerLimitError) &&
      err.retryAfterSeconds !== undefined
    )
      res.set('Retry-After', String(err.retryAfterSeconds));
    const status = err instanceof KilnError ? statusOf(err) : undefined;
    if (err instanceof KilnError && status !== undefined) {
      const fields: FieldIssue[] | undefined = err instanceof HttpError ? err.fields : undefined;
      const details = err instanceof CustomerLimitError ? { limit: err.limit, usage: err.usage } : undefined;
      return sendError(res, status, err.code, err.message, fields ? { fields } : details);
    }
    if ((err as { type?: string }).type === 'entity.parse.failed')
      return sendError(res, 400, 'invalid_json', 'body is not valid JSON', {
        fields: [{ path: '(body)', message: 'not valid JSON' }],
      });
    // Body too large (413), other client errors (their 4xx) and anything else (a logged 500).
    fallback(err, req, res, next);
  };
}

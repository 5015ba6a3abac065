import type { Logger } from '@kiln/logger';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** The one JSON error body of every app: `{error: {code, message, ...details}}`. */
export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/** Builds the one error body; `details` (e.g. `fields`) sit beside `code` and `message`. */
export function errorBody(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, ...details } };
}

/** Answers `status` with the one error body. */
export function sendError(
  res: Response,
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): void {
  res.status(status).json(errorBody(code, message, details));
}

/** 404 for routes that do not exist, in the one error body. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `no route for ${req.method} ${req.path}`);
};

/**
 * The last error middleware of the small apps (webhooks, worker, dashboard): a body over the
 * limit is a 413, a client error keeps its status, anything else is a logged 500 without
 * internals in the body.
 */
export function jsonErrorHandler(logger: Logger, what = 'request handling failed'): ErrorRequestHandler {
  return (err: { type?: string; status?: number; message?: string }, req, res, _next) => {
    if (err.type === 'entity.too.large') return sendError(res, 413, 'body_too_large', 'request body is too large');
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500)
      return sendError(res, err.status, 'bad_request', err.message ?? 'bad request');
    logger.error({ err, method: req.method, path: req.path }, what);
    sendError(res, 500, 'internal', 'internal error');
  };
}

/** 405 for anything but GET and HEAD, for the apps that only serve reads (worker, dashboard). */
export const readOnlyMethods: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  res.set('Allow', 'GET, HEAD');
  sendError(res, 405, 'method_not_allowed', 'use GET or HEAD');
};

import { randomUUID } from 'node:crypto';
import type { Logger } from '@kiln/logger';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';

/** Probes and scrapes would drown the log: they are answered, not logged. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Request headers worth a log line; anything else (a key sent as `X-Api-Key`, say) is never written. */
const LOGGED_HEADERS = [
  'host',
  'user-agent',
  'content-type',
  'content-length',
  'origin',
  'x-forwarded-for',
  'idempotency-key',
];

/**
 * One JSON log line per request (pino-http) through the process logger, so its redaction applies:
 * `Authorization` (API keys, admin credentials) and cookies are written as `[redacted]`. Only an
 * allowlist of headers is logged, and the URL without its query string, so a client that puts
 * its key somewhere unusual (`X-Api-Key`, `?api_key=`) does not leak it either. Lines of
 * authenticated requests carry `customerId`; each request gets an id, also sent as `X-Request-Id`.
 * The token of a signed URL (`/play/<token>/...`) is written as `[token]`.
 *
 * Request lines are written at `info`. When the logger's level is above that, pino-http is not
 * installed at all: it builds three child loggers per request even when it writes nothing, which
 * cost a fifth of the API's CPU per job created. Requests still get their `X-Request-Id`.
 */
export function requestLogger(logger: Logger): RequestHandler {
  if (!logger.isLevelEnabled('info')) {
    return (req, res, next) => {
      (req as { id?: string }).id = newRequestId(res);
      next();
    };
  }
  return pinoHttp({
    logger,
    genReqId: (_req, res) => newRequestId(res),
    // Evaluated again when the response finishes, after the auth middleware set the customer.
    customProps: (req) => {
      const customerId = (req as { customerId?: string }).customerId;
      return customerId ? { customerId } : {};
    },
    serializers: {
      req: (req: {
        id: unknown;
        method: string;
        url: string;
        headers: Record<string, unknown>;
        remoteAddress?: string;
      }) => ({
        id: req.id,
        method: req.method,
        url: loggedUrl(String(req.url ?? '')),
        headers: {
          ...Object.fromEntries(
            LOGGED_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => [h, req.headers[h]]),
          ),
          // Say that credentials came, never what they were.
          ...(req.headers.authorization !== undefined ? { authorization: '[redacted]' } : {}),
        },
        remoteAddress: req.remoteAddress,
      }),
    },
    autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0]!) },
  });
}

/** A request's URL as logged: without its query string, and a signed URL's token (a credential until it expires) left out. */
function loggedUrl(url: string): string {
  return url.split('?')[0]!.replace(/^\/play\/[^/]+/, '/play/[token]');
}

function newRequestId(res: { setHeader(name: string, value: string): unknown }): string {
  const id = randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '@kiln/logger';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';

/** Probes and scrapes would drown the log: they are answered, not logged. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One JSON log line per request (pino-http) through the process logger, so its redaction applies:
 * `Authorization` (API keys, admin credentials) and cookies are written as `[redacted]`. Lines of
 * authenticated requests carry `customerId`; each request gets an id, also sent as `X-Request-Id`.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (_req, res) => {
      const id = randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Evaluated again when the response finishes, after the auth middleware set the customer.
    customProps: (req) => {
      const customerId = (req as { customerId?: string }).customerId;
      return customerId ? { customerId } : {};
    },
    autoLogging: { ignore: (req) => QUIET_PATHS.has((req.url ?? '').split('?')[0]!) },
  });
}

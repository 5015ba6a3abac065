import { sendError } from '@kiln/app-kit';
import type { Logger } from '@kiln/logger';
import { WebhookAuthError, WebhookBodyError, type WebhookVerifier } from '@kiln/realtime';
import express, { Router } from 'express';
import type { OccupancyMetrics } from '../occupancy-metrics.js';
import type { OccupancyService } from '../occupancy.service.js';

/**
 * `POST /pusher/webhooks`: verified on the raw body (401 when the key or signature is wrong,
 * 400 when a signed body is not a webhook), then applied; answers as soon as Redis has them.
 */
export function webhooksRouter(deps: {
  verifier: WebhookVerifier;
  occupancy: OccupancyService;
  metrics: OccupancyMetrics;
  logger: Logger;
}): Router {
  const router = Router();
  router.post('/pusher/webhooks', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let verified;
    try {
      verified = deps.verifier.verify(req.headers, raw);
    } catch (err) {
      if (err instanceof WebhookAuthError) {
        deps.metrics.rejected.inc({ reason: 'signature' });
        deps.logger.warn({ reason: err.message, ip: req.ip }, 'webhook refused');
        sendError(res, 401, err.code, err.message);
        return;
      }
      if (err instanceof WebhookBodyError) {
        deps.metrics.rejected.inc({ reason: 'body' });
        sendError(res, 400, err.code, err.message);
        return;
      }
      throw err;
    }
    const results = await deps.occupancy.applyAll(verified.events);
    res.json({
      ok: true,
      applied: results.filter((r) => r === 'applied').length,
      stale: results.filter((r) => r === 'stale').length,
      duplicate: results.filter((r) => r === 'duplicate').length,
      deferred: results.filter((r) => r === 'deferred').length,
      ignored: verified.ignored + results.filter((r) => r === 'ignored').length,
    });
  });
  return router;
}

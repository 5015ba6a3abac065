import type { Logger } from '@kiln/logger';
import type { WebhookVerifier } from '@kiln/realtime';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Registry } from 'prom-client';
import type { OccupancyMetrics } from './occupancy-metrics.js';
import type { OccupancyService } from './occupancy.service.js';
import { webhooksRouter } from './routes/webhooks.route.js';

export interface WebhooksDeps {
  logger: Logger;
  registry: Registry;
  verifier: WebhookVerifier;
  occupancy: OccupancyService;
  metrics: OccupancyMetrics;
  ready: () => Promise<Record<string, boolean>>;
}

/** Builds the webhooks app without listening. */
export function createApp(deps: WebhooksDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  app.use(
    webhooksRouter({
      verifier: deps.verifier,
      occupancy: deps.occupancy,
      metrics: deps.metrics,
      logger: deps.logger.child({ component: 'webhooks' }),
    }),
  );
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route for ${req.method} ${req.path}` } });
  });
  const onError: ErrorRequestHandler = (err: { type?: string }, req, res, _next) => {
    if (err.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'body_too_large', message: 'webhook body is too large' } });
      return;
    }
    // Pusher retries non-2xx answers, so a Redis outage here loses nothing on hosted Pusher.
    deps.logger.error({ err, path: req.path }, 'webhook handling failed');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
  app.use(onError);
  return app;
}

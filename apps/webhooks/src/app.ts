import { healthRouter, jsonErrorHandler, notFoundHandler } from '@kiln/app-kit';
import type { Logger } from '@kiln/logger';
import type { WebhookVerifier } from '@kiln/realtime';
import express, { type Express } from 'express';
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
  app.use(healthRouter({ registry: deps.registry, ready: deps.ready }));
  app.use(
    webhooksRouter({
      verifier: deps.verifier,
      occupancy: deps.occupancy,
      metrics: deps.metrics,
      logger: deps.logger.child({ component: 'webhooks' }),
    }),
  );
  app.use(notFoundHandler);
  // Pusher retries non-2xx answers, so a Redis outage here loses nothing on hosted Pusher.
  app.use(jsonErrorHandler(deps.logger, 'webhook handling failed'));
  return app;
}

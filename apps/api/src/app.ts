import type { JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { LocalStorage } from '@kiln/storage';
import cors from 'cors';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type Pusher from 'pusher';
import { bearerAuth } from './middleware/auth.middleware.js';
import { errorHandler, notFoundHandler } from './middleware/error.middleware.js';
import { healthRouter } from './routes/health.route.js';
import { jobsRouter } from './routes/jobs.route.js';
import { meRouter, type PublicPusherSettings } from './routes/me.route.js';
import { outputsRouter } from './routes/outputs.route.js';
import { presetsRouter } from './routes/presets.route.js';
import { realtimeRouter } from './routes/realtime.route.js';
import type { JobService } from './services/job.service.js';

export interface ApiDeps {
  logger: Logger;
  registry: Registry;
  apiKeys: ReadonlyMap<string, string>;
  jobs: JobService;
  repo: JobRepository;
  storage: LocalStorage;
  pusher: Pusher;
  publicPusher: PublicPusherSettings;
  corsOrigins: string[];
  ready: () => Promise<Record<string, boolean>>;
}

/** Builds the API's Express app without listening: `main.ts` listens, tests use supertest. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(healthRouter({ registry: deps.registry, ready: deps.ready }));

  const v1 = express.Router();
  v1.use(cors({ origin: deps.corsOrigins, allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'], exposedHeaders: ['Content-Disposition', 'Location', 'Retry-After'], maxAge: 600 }));
  v1.use(express.json({ limit: '64kb' }));
  v1.use(express.urlencoded({ extended: false, limit: '4kb' }));
  v1.use(bearerAuth(deps.apiKeys));
  v1.use('/me', meRouter(deps.publicPusher));
  v1.use('/jobs/:id/outputs', outputsRouter({ repo: deps.repo, storage: deps.storage }));
  v1.use('/jobs', jobsRouter({ jobs: deps.jobs, repo: deps.repo }));
  v1.use('/presets', presetsRouter());
  v1.use('/realtime', realtimeRouter(deps.pusher, deps.logger.child({ component: 'realtime-auth' })));
  app.use('/v1', v1);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

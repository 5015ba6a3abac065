import type { WebhookDeliveryRepository, WebhookEndpointRepository, WebhookQueue } from '@kiln/customer-webhooks';
import type { JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { QueueView } from '@kiln/scheduler';
import type { OutputStorage, UploadStore } from '@kiln/storage';
import cors from 'cors';
import type { Store } from 'express-rate-limit';
import express, { type Express, type Request, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type Pusher from 'pusher';
import { bearerAuth } from './middleware/auth.middleware.js';
import { viewerRouteOf, viewerScope } from './middleware/viewer-scope.middleware.js';
import { errorHandler } from './middleware/error.middleware.js';
import { rateLimitPerKey } from './middleware/rate-limit.middleware.js';
import { requestLogger } from './middleware/request-log.middleware.js';
import { securityHeaders } from './middleware/security-headers.middleware.js';
import { buildOpenApiDocument } from './openapi/openapi.document.js';
import { adminRouter, type AdminSettings } from './routes/admin.route.js';
import { healthRouter, notFoundHandler } from '@kiln/app-kit';
import { deliveriesRouter, jobDeliveriesRouter } from './routes/deliveries.route.js';
import { jobsRouter } from './routes/jobs.route.js';
import { meRouter, type PublicPusherSettings } from './routes/me.route.js';
import { openApiRouter } from './routes/openapi.route.js';
import { outputsRouter } from './routes/outputs.route.js';
import { playRouter } from './routes/play.route.js';
import { signedUrlsRouter } from './routes/signed-urls.route.js';
import { presetsRouter } from './routes/presets.route.js';
import { realtimeRouter } from './routes/realtime.route.js';
import { statsRouter } from './routes/stats.route.js';
import { uploadsRouter } from './routes/uploads.route.js';
import { usageRouter } from './routes/usage.route.js';
import { webhookEndpointsRouter } from './routes/webhook-endpoints.route.js';
import type { JobDeletionService } from './services/job-deletion.service.js';
import type { JobService } from './services/job.service.js';
import type { SignedTokensService } from './services/signed-tokens.service.js';
import { SignedUrlService } from './services/signed-urls.service.js';
import type { StatsService } from './services/stats.service.js';
import type { UsageService } from './services/usage.service.js';

export interface ApiDeps {
  logger: Logger;
  registry: Registry;
  apiKeys: ReadonlyMap<string, string>;
  jobs: JobService;
  deletion: JobDeletionService;
  /** Where queued jobs stand in line (`queue` on reads); without it reads carry none. */
  queueView?: QueueView | undefined;
  repo: JobRepository;
  /** Outputs: local disk or an S3 bucket (KILN_S3_BUCKET). */
  storage: OutputStorage;
  /** Uploaded inputs, on the same kind of storage as outputs. */
  uploads: UploadStore;
  /** Largest `POST /v1/uploads` body (KILN_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  stats: StatsService;
  /** Customers' usage against their limits (`GET /v1/usage`, stored-bytes checks of uploads). */
  usage: UsageService;
  pusher: Pusher;
  publicPusher: PublicPusherSettings;
  corsOrigins: string[];
  /** Mints and verifies signed output URLs' and viewer tokens' JWTs (KILN_SIGNING_SECRET). */
  tokens: SignedTokensService;
  /** KILN_PUBLIC_URL: the origin of signed URLs; undefined = the request's. */
  publicUrl?: string | undefined;
  /** Called after each successful `POST /v1/realtime/auth` with the channel authorized. */
  onChannelAuthorized?: ((channel: string) => void | Promise<void>) | undefined;
  /** Requests per minute per API key on `/v1` (0 = off), counted in `store` (Redis: shared by every API process). */
  rateLimit: { perMinute: number; store: Store };
  /** Bull Board at /admin/queues and the fleet view; not mounted at all without it. */
  admin?: AdminSettings | undefined;
  ready: () => Promise<Record<string, boolean>>;
  /** Customer webhooks: endpoints, deliveries and the queue replays go to. */
  webhooks: WebhookDeps;
}

/** What the webhook routes work with. */
interface WebhookDeps {
  endpoints: WebhookEndpointRepository;
  deliveries: WebhookDeliveryRepository;
  queue: Pick<WebhookQueue, 'add'>;
  /** KILN_WEBHOOK_ALLOW_HOSTS: private receivers that may be registered (IP hosts are checked at creation). */
  allowHosts: readonly string[];
  /** KILN_WEBHOOK_SECRET_OVERLAP_H in ms: how long a rotated-out secret keeps signing. */
  secretOverlapMs: number;
}

/** Builds the API's Express app without listening: `main.ts` listens, tests use supertest. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLogger(deps.logger));
  app.use(securityHeaders());
  app.use(healthRouter({ registry: deps.registry, ready: deps.ready }));
  app.use(openApiRouter(buildOpenApiDocument({ admin: deps.admin !== undefined })));
  if (deps.admin) app.use(adminRouter(deps.admin));
  // Without admin credentials the admin routes are absent, also under /v1 (whose bearer auth would answer 401).
  else app.use('/v1/admin', notFoundHandler);

  const v1 = express.Router();
  v1.use(v1Cors(deps.corsOrigins));
  v1.use(bearerAuth(deps.apiKeys, deps.tokens));
  v1.use(viewerScope());
  v1.use(rateLimitPerKey(deps.rateLimit));
  // Before the body parsers: an upload's body is streamed to disk as sent, whatever its type.
  v1.use('/uploads', uploadsRouter({ uploads: deps.uploads, maxBytes: deps.maxUploadBytes, usage: deps.usage }));
  v1.use(express.json({ limit: '64kb' }));
  v1.use(express.urlencoded({ extended: false, limit: '4kb' }));
  v1.use('/me', meRouter(deps.publicPusher));
  const signedUrls = new SignedUrlService(deps.tokens, deps.publicUrl);
  v1.use('/jobs/:id/outputs', signedUrlsRouter({ repo: deps.repo, signedUrls }));
  v1.use('/jobs/:id/outputs', outputsRouter({ repo: deps.repo, storage: deps.storage }));
  const { webhooks } = deps;
  v1.use('/jobs/:id/deliveries', jobDeliveriesRouter({ ...webhooks, repo: deps.repo }));
  v1.use('/deliveries', deliveriesRouter({ ...webhooks, repo: deps.repo }));
  v1.use('/webhook-endpoints', webhookEndpointsRouter(webhooks));
  v1.use('/jobs', jobsRouter({ ...deps, signedUrls }));
  v1.use('/presets', presetsRouter());
  v1.use('/stats', statsRouter(deps.stats));
  v1.use('/usage', usageRouter(deps.usage));
  v1.use(
    '/realtime',
    realtimeRouter({
      pusher: deps.pusher,
      repo: deps.repo,
      tokens: deps.tokens,
      logger: deps.logger.child({ component: 'realtime-auth' }),
      onAuthorized: deps.onChannelAuthorized,
    }),
  );
  app.use('/v1', v1);
  app.use('/play', playRouter({ tokens: deps.tokens, repo: deps.repo, storage: deps.storage }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/** Response headers of `/v1` a browser page may read. */
const EXPOSED_HEADERS = [
  'Content-Disposition',
  'Location',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'Idempotent-Replayed',
  'X-Request-Id',
];

/**
 * CORS of `/v1`: the dashboard's origins (KILN_DASHBOARD_ORIGINS), except on the routes a viewer
 * token may call, which answer any origin: customers' pages live on their own origins, and these
 * routes take a bearer token (no cookies), so another origin gains nothing without one.
 */
function v1Cors(origins: string[]): RequestHandler {
  return cors((req, callback) => {
    const r = req as Request;
    const method = r.method === 'OPTIONS' ? (r.get('Access-Control-Request-Method') ?? '') : r.method;
    callback(null, {
      origin: viewerRouteOf(method.toUpperCase(), r.path) ? '*' : origins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  });
}

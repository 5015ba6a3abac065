import { Router } from 'express';
import type { Registry } from 'prom-client';

/** What {@link healthRouter} reports on. */
export interface HealthDeps {
  /** Whether the process still does its job (the worker: not stopping, BullMQ worker running). Default: always. */
  healthy?: () => boolean;
  /** Named checks of what it depends on (Redis, Pusher); `/readyz` is served only when given. */
  ready?: () => Promise<Record<string, boolean>>;
  /** `/metrics` is served only when given. */
  registry?: Registry;
}

/**
 * The one health module of every app: `GET /healthz` (the process is alive: 200 `{status:"ok"}`,
 * 503 `{status:"stopping"}`), `GET /readyz` (every dependency answers: 200 `ready`, else 503
 * `not_ready` with the checks) and `GET /metrics` (Prometheus). Never cached.
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const ok = deps.healthy?.() ?? true;
    res
      .status(ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ok ? 'ok' : 'stopping' });
  });
  const { ready, registry } = deps;
  if (ready)
    router.get('/readyz', async (_req, res) => {
      res.set('Cache-Control', 'no-store');
      try {
        const checks = await ready();
        const ok = Object.values(checks).every(Boolean);
        res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
      } catch {
        res.status(503).json({ status: 'not_ready' });
      }
    });
  if (registry)
    router.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  return router;
}

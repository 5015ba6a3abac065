import { Router } from 'express';
import type { Registry } from 'prom-client';

/** `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`. */
export function healthRouter(deps: { registry: Registry; ready: () => Promise<Record<string, boolean>> }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}

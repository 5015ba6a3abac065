import { PRESETS } from '@kiln/jobs';
import { Router } from 'express';

/** `GET /v1/presets`: every preset with its description. */
export function presetsRouter(): Router {
  const router = Router();
  const data = [...PRESETS.values()].map((p) => ({
    id: p.id,
    kind: p.kind,
    description: p.description,
    extension: p.extension,
    contentType: p.contentType,
    pool: p.pool,
  }));
  router.get('/', (_req, res) => {
    res.json({ data });
  });
  return router;
}

import { Router } from 'express';
import { customerOf } from '../middleware/auth.middleware.js';
import type { UsageService } from '../services/usage.service.js';

/** `GET /v1/usage`: the customer's running and waiting jobs and stored bytes against its limits. */
export function usageRouter(usage: UsageService): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    res.json(await usage.report(customerOf(req)));
  });
  return router;
}

import { Router } from 'express';
import { customerOf } from '../middleware/auth.middleware.js';
import type { StatsService } from '../services/stats.service.js';

/** `GET /v1/stats`: the customer's job counts, jobs per hour over 24 h and mean encode speed. */
export function statsRouter(stats: StatsService): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    res.json(await stats.forCustomer(customerOf(req)));
  });
  return router;
}

import { JOB_STATUSES, InvalidCursorError, type JobRepository } from '@kiln/jobs';
import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import type { JobService } from '../services/job.service.js';

const listQuery = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100').default(50),
  cursor: z.string().max(200).optional(),
});

/** `/v1/jobs`: create, list and read a customer's jobs. */
export function jobsRouter(deps: { jobs: JobService; repo: JobRepository }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const request = deps.jobs.parse(req.body);
    const job = await deps.jobs.create(customerOf(req), request);
    res.status(202).location(`/v1/jobs/${job.id}`).json(job);
  });

  router.get('/', async (req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) throw validationErrorFrom(q.error, 'query');
    try {
      res.json(await deps.repo.list(customerOf(req), q.data));
    } catch (err) {
      if (err instanceof InvalidCursorError) throw new ValidationError([{ path: 'query.cursor', message: err.message }]);
      throw err;
    }
  });

  router.get('/:id', async (req, res) => {
    const job = await deps.repo.getForCustomer(customerOf(req), req.params.id);
    if (!job) throw new NotFoundError('job');
    res.json(job);
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await deps.jobs.cancel(customerOf(req), req.params.id));
  });

  router.post('/:id/retry', async (req, res) => {
    res.status(202).json(await deps.jobs.retry(customerOf(req), req.params.id));
  });

  return router;
}

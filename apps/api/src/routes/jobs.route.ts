import { JOB_STATUSES, InvalidCursorError, type JobRepository } from '@kiln/jobs';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import { fingerprintOf } from '../services/canonical-json.js';
import type { JobDeletionService } from '../services/job-deletion.service.js';
import type { JobService } from '../services/job.service.js';

/** Longest `Idempotency-Key` accepted (a UUID needs 36). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** Query of `GET /v1/jobs` (also the OpenAPI parameters). */
export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100').default(50),
  cursor: z.string().max(200).optional(),
});

/** The request's `Idempotency-Key`, undefined without one; a 400 naming the header when malformed. */
function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new ValidationError([
      { path: 'Idempotency-Key', message: `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters` },
    ]);
  }
  return key;
}

/** `/v1/jobs`: create, list, read, cancel, retry and delete a customer's jobs. */
export function jobsRouter(deps: { jobs: JobService; repo: JobRepository; deletion: JobDeletionService }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const customerId = customerOf(req);
    const key = idempotencyKeyOf(req);
    const request = await deps.jobs.parse(req.body, customerId);
    if (key === undefined) {
      const job = await deps.jobs.create(customerId, request);
      res.status(202).location(`/v1/jobs/${job.id}`).json(job);
      return;
    }
    // A replay answers like the first request did (202, same job id), with the job as it is now.
    const { job, replayed } = await deps.jobs.createOnce(customerId, request, {
      key,
      fingerprint: fingerprintOf(req.body),
    });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res.status(202).location(`/v1/jobs/${job.id}`).json(job);
  });

  router.get('/', async (req, res) => {
    const q = listJobsQuerySchema.safeParse(req.query);
    if (!q.success) throw validationErrorFrom(q.error, 'query');
    try {
      res.json(await deps.repo.list(customerOf(req), q.data));
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ValidationError([{ path: 'query.cursor', message: err.message }]);
      throw err;
    }
  });

  router.get('/:id', async (req, res) => {
    const job = await deps.repo.getForCustomer(customerOf(req), req.params.id);
    if (!job) throw new NotFoundError('job');
    res.json(job);
  });

  router.delete('/:id', async (req, res) => {
    await deps.deletion.delete(customerOf(req), req.params.id);
    res.status(204).end();
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await deps.jobs.cancel(customerOf(req), req.params.id));
  });

  router.post('/:id/retry', async (req, res) => {
    res.status(202).json(await deps.jobs.retry(customerOf(req), req.params.id));
  });

  return router;
}

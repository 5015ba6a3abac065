import { JOB_PRIORITIES, JOB_STATUSES, InvalidCursorError, type Job, type JobRepository } from '@kiln/jobs';
import type { QueueView } from '@kiln/scheduler';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import { fingerprintOf } from '../services/canonical-json.js';
import type { JobDeletionService } from '../services/job-deletion.service.js';
import type { JobService } from '../services/job.service.js';
import type { SignedUrlService } from '../services/signed-urls.service.js';

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

/** Query of `GET /v1/jobs/:id`: `signed=true` adds signed URLs to completed outputs. */
const getJobQuerySchema = z.object({
  signed: z.enum(['true', 'false'], { error: 'signed must be true or false' }).optional(),
});

/** Body of `PATCH /v1/jobs/:id` (also the OpenAPI schema). */
export const patchJobSchema = z.strictObject({
  priority: z.enum(JOB_PRIORITIES, { error: `priority must be one of: ${JOB_PRIORITIES.join(', ')}` }),
});

/** How many queued jobs of a page get their place in line (one read of the customer's line). */
const PLACES_PER_PAGE = 100;

/** Adds their place in line to queued jobs; jobs not queued (or without a view) go out as stored. */
function placesIn(queueView: QueueView | undefined) {
  const withPlace = async (job: Job): Promise<Job> => {
    const queue = job.status === 'queued' ? await queueView?.forJob(job) : undefined;
    return queue ? { ...job, queue } : job;
  };
  const withPlaces = async (customerId: string, jobs: Job[]): Promise<Job[]> => {
    if (!queueView || !jobs.some((j) => j.status === 'queued')) return jobs;
    const places = new Map((await queueView.forCustomer(customerId, PLACES_PER_PAGE)).map((p) => [p.id, p]));
    return jobs.map((job) => {
      const place = job.status === 'queued' ? places.get(job.id) : undefined;
      if (!place) return job;
      const { id: _id, ...queue } = place;
      return { ...job, queue };
    });
  };
  return { withPlace, withPlaces };
}

/** `/v1/jobs`: create, list, read, change, cancel, retry and delete a customer's jobs. */
export function jobsRouter(deps: {
  jobs: JobService;
  repo: JobRepository;
  deletion: JobDeletionService;
  queueView?: QueueView | undefined;
  signedUrls: SignedUrlService;
}): Router {
  const router = Router();
  const { withPlace, withPlaces } = placesIn(deps.queueView);

  router.post('/', async (req, res) => {
    const customerId = customerOf(req);
    const key = idempotencyKeyOf(req);
    const request = await deps.jobs.parse(req.body, customerId);
    if (key === undefined) {
      const job = await deps.jobs.create(customerId, request);
      res
        .status(202)
        .location(`/v1/jobs/${job.id}`)
        .json(await withPlace(job));
      return;
    }
    // A replay answers like the first request did (202, same job id), with the job as it is now.
    const { job, replayed } = await deps.jobs.createOnce(customerId, request, {
      key,
      fingerprint: fingerprintOf(req.body),
    });
    if (replayed) res.set('Idempotent-Replayed', 'true');
    res
      .status(202)
      .location(`/v1/jobs/${job.id}`)
      .json(await withPlace(job));
  });

  router.get('/', async (req, res) => {
    const q = listJobsQuerySchema.safeParse(req.query);
    if (!q.success) throw validationErrorFrom(q.error, 'query');
    try {
      const customerId = customerOf(req);
      const page = await deps.repo.list(customerId, q.data);
      res.json({ ...page, data: await withPlaces(customerId, page.data) });
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ValidationError([{ path: 'query.cursor', message: err.message }]);
      throw err;
    }
  });

  router.get('/:id', async (req, res) => {
    const q = getJobQuerySchema.safeParse(req.query);
    if (!q.success) throw validationErrorFrom(q.error, 'query');
    const job = await deps.repo.getForCustomer(customerOf(req), req.params.id);
    if (!job) throw new NotFoundError('job');
    const read = await withPlace(job);
    res.json(
      q.data.signed === 'true' ? await deps.signedUrls.withSignedUrls(read, deps.signedUrls.originFor(req)) : read,
    );
  });

  router.patch('/:id', async (req, res) => {
    const body = patchJobSchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    const job = await deps.jobs.reprioritize(customerOf(req), req.params.id, body.data.priority);
    res.json(await withPlace(job));
  });

  router.delete('/:id', async (req, res) => {
    await deps.deletion.delete(customerOf(req), req.params.id);
    res.status(204).end();
  });

  router.post('/:id/cancel', async (req, res) => {
    res.json(await deps.jobs.cancel(customerOf(req), req.params.id));
  });

  router.post('/:id/retry', async (req, res) => {
    res.status(202).json(await withPlace(await deps.jobs.retry(customerOf(req), req.params.id)));
  });

  return router;
}

import type { JobRepository } from '@kiln/jobs';
import { Router } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import {
  DEFAULT_SIGNED_URL_TTL_S,
  MAX_SIGNED_URL_TTL_S,
  type SignedUrlService,
} from '../services/signed-urls.service.js';
import { completedOutput } from './output-files.js';

/** Body of `POST /v1/jobs/:id/outputs/:name/url` (also the OpenAPI schema). */
export const signedUrlBodySchema = z.object({
  ttlSeconds: z
    .number({ error: 'ttlSeconds must be a number of seconds' })
    .int('ttlSeconds must be a whole number')
    .min(1, 'ttlSeconds must be at least 1')
    .max(MAX_SIGNED_URL_TTL_S, `ttlSeconds must be at most ${MAX_SIGNED_URL_TTL_S} (7 days)`)
    .default(DEFAULT_SIGNED_URL_TTL_S),
});

/**
 * `POST /v1/jobs/:id/outputs/:name/url {ttlSeconds?}` → `{url, expiresAt}`: a URL that plays one
 * output of a completed job without credentials until it expires (default an hour, at most 7
 * days). An unknown job or output is a 404, a job not completed a 409.
 */
export function signedUrlsRouter(deps: { repo: JobRepository; signedUrls: SignedUrlService }): Router {
  const router = Router({ mergeParams: true });
  router.post('/:name/url', async (req, res) => {
    const body = signedUrlBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    const { id, name } = req.params as { id: string; name: string };
    const job = await deps.repo.getForCustomer(customerOf(req), id);
    if (!job) throw new NotFoundError('job');
    if (!job.outputs.some((o) => o.name === name)) throw new NotFoundError('output');
    if (job.status !== 'completed')
      throw new ConflictError(`the job is ${job.status}: outputs get signed URLs once it is completed`);
    const { output, preset } = completedOutput(job, name);
    const origin = deps.signedUrls.originFor(req);
    res.json(await deps.signedUrls.forOutput(job, output, preset, origin, body.data.ttlSeconds));
  });
  return router;
}

import { getPreset, type JobRepository } from '@kiln/jobs';
import type { LocalStorage } from '@kiln/storage';
import { Router } from 'express';
import { NotFoundError } from '../errors.js';
import { customerOf } from '../middleware/auth.middleware.js';

/**
 * `GET /v1/jobs/:id/outputs/:name`: streams a completed output (Range requests supported by
 * `sendFile`). Another customer's job, an unknown name or an unfinished output is a 404.
 */
export function outputsRouter(deps: { repo: JobRepository; storage: LocalStorage }): Router {
  const router = Router({ mergeParams: true });
  router.get('/:name', async (req, res) => {
    const params = req.params as { id: string; name: string };
    const job = await deps.repo.getForCustomer(customerOf(req), params.id);
    const output = job?.outputs.find((o) => o.name === params.name);
    const preset = output && getPreset(output.preset);
    if (!job || !output || output.status !== 'completed' || !preset) throw new NotFoundError('output');
    const file = deps.storage.finalPath(job.customerId, job.id, `${output.name}.${preset.extension}`);
    if ((await deps.storage.sizeOf(file)) === null) throw new NotFoundError('output file');
    res.type(output.contentType);
    res.attachment(`${job.id}-${output.name}.${preset.extension}`);
    res.sendFile(file, { dotfiles: 'deny', acceptRanges: true, cacheControl: false });
  });
  return router;
}

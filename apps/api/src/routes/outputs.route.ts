import { isDirectoryPreset, outputDownloadPath, outputFileName, type JobRepository } from '@kiln/jobs';
import type { OutputStorage } from '@kiln/storage';
import { Router, type Request, type Response } from 'express';
import { NotFoundError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { completedOutput, sendStoredFile, storedFileOf, type CompletedOutput } from './output-files.js';

/**
 * Completed outputs, streamed from the output storage (local disk or S3) with Range support:
 * `GET /v1/jobs/:id/outputs/:name` streams a file output; `GET /v1/jobs/:id/outputs/:name/<path>`
 * streams one file of a directory output (the master and rendition playlists and segments of HLS,
 * each thumbnail), so a playlist's relative URIs resolve to their files. The bare path of a
 * directory output (what `downloadPath` was before it named the entry file) redirects to its entry
 * file: served there, its relative URIs would resolve one level too high. Another customer's job,
 * an unknown name or path, or an unfinished output is a 404.
 */
export function outputsRouter(deps: OutputsDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/:name', (req, res) => sendFileOutput(deps, req, res));
  router.get('/:name/*file', (req, res) => sendDirectoryFile(deps, req, res));
  return router;
}

/** What the outputs routes read: job records and the stored bytes. */
interface OutputsDeps {
  repo: JobRepository;
  storage: OutputStorage;
}

/** `GET /:name`: a file output's bytes, or for a directory output a redirect to its entry file. */
async function sendFileOutput(deps: OutputsDeps, req: Request, res: Response): Promise<void> {
  const found = await findOutput(deps.repo, req);
  const { job, output, preset } = found;
  if (isDirectoryPreset(preset)) {
    res.redirect(302, outputDownloadPath(job.id, output, preset));
    return;
  }
  await sendStoredFile(deps.storage, req, res, {
    ...storedFileOf(found, undefined),
    downloadName: `${job.id}-${outputFileName(output.name, preset)}`,
  });
}

/** `GET /:name/<path>`: one file listed in a directory output's `files`. */
async function sendDirectoryFile(deps: OutputsDeps, req: Request, res: Response): Promise<void> {
  const found = await findOutput(deps.repo, req);
  const parts = (req.params as { file?: string[] | string }).file;
  const relative = Array.isArray(parts) ? parts.join('/') : String(parts ?? '');
  if (!isDirectoryPreset(found.preset)) throw new NotFoundError('output file');
  await sendStoredFile(deps.storage, req, res, storedFileOf(found, relative));
}

/** The customer's completed output the request names, with its job and preset; anything else is a 404. */
async function findOutput(repo: JobRepository, req: Request): Promise<CompletedOutput> {
  const params = req.params as { id: string; name: string };
  return completedOutput(await repo.getForCustomer(customerOf(req), params.id), params.name);
}

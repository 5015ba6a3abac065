import path from 'node:path';
import { getPreset, isDirectoryPreset, type Job, type JobOutput, type JobRepository, type Preset } from '@kiln/jobs';
import type { LocalStorage } from '@kiln/storage';
import { Router, type Request, type Response } from 'express';
import { NotFoundError } from '../errors.js';
import { customerOf } from '../middleware/auth.middleware.js';

const CONTENT_TYPES: Record<string, string> = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.jpg': 'image/jpeg' };

/**
 * Completed outputs (Range requests supported by `sendFile`):
 * `GET /v1/jobs/:id/outputs/:name` streams a file output, or the entry file of a directory output
 * (HLS: `master.m3u8`; thumbnails: the first image); `GET /v1/jobs/:id/outputs/:name/<path>`
 * streams one file of a directory output (HLS playlists and segments, each thumbnail). Another
 * customer's job, an unknown name or path, or an unfinished output is a 404.
 */
export function outputsRouter(deps: { repo: JobRepository; storage: LocalStorage }): Router {
  const router = Router({ mergeParams: true });

  async function find(req: Request): Promise<{ job: Job; output: JobOutput; preset: Preset }> {
    const params = req.params as { id: string; name: string };
    const job = await deps.repo.getForCustomer(customerOf(req), params.id);
    const output = job?.outputs.find((o) => o.name === params.name);
    const preset = output && getPreset(output.preset);
    if (!job || !output || output.status !== 'completed' || !preset) throw new NotFoundError('output');
    return { job, output, preset };
  }

  async function send(res: Response, file: string | null, type: string, downloadName?: string): Promise<void> {
    if (!file || (await deps.storage.sizeOf(file)) === null) throw new NotFoundError('output file');
    res.type(type);
    if (downloadName) res.attachment(downloadName);
    res.sendFile(file, { dotfiles: 'deny', acceptRanges: true, cacheControl: false });
  }

  router.get('/:name', async (req, res) => {
    const { job, output, preset } = await find(req);
    if (isDirectoryPreset(preset)) {
      const entry = preset.kind === 'hls' ? 'master.m3u8' : output.files?.[0]?.path;
      const dir = deps.storage.finalPath(job.customerId, job.id, output.name);
      await send(res, entry ? deps.storage.fileInside(dir, entry) : null, output.contentType);
      return;
    }
    const file = deps.storage.finalPath(job.customerId, job.id, `${output.name}.${preset.extension}`);
    await send(res, file, output.contentType, `${job.id}-${output.name}.${preset.extension}`);
  });

  router.get('/:name/*file', async (req, res) => {
    const { job, output, preset } = await find(req);
    const parts = (req.params as { file?: string[] | string }).file;
    const relative = Array.isArray(parts) ? parts.join('/') : String(parts ?? '');
    if (!isDirectoryPreset(preset) || !output.files?.some((f) => f.path === relative)) throw new NotFoundError('output file');
    const dir = deps.storage.finalPath(job.customerId, job.id, output.name);
    await send(res, deps.storage.fileInside(dir, relative), CONTENT_TYPES[path.extname(relative)] ?? 'application/octet-stream');
  });

  return router;
}

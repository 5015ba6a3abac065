import { isDirectoryPreset, outputFileName, type JobRepository } from '@kiln/jobs';
import type { OutputStorage } from '@kiln/storage';
import cors from 'cors';
import { Router, type Request, type Response } from 'express';
import { SignedUrlExpiredError, SignedUrlInvalidError } from '../http.errors.js';
import { TokenRejectedError } from '../services/signed-tokens.errors.js';
import type { PlaybackGrant, SignedTokensService } from '../services/signed-tokens.service.js';
import { completedOutput, sendStoredFile, storedFileOf } from './output-files.js';

/** What `/play` reads: the tokens' secret, job records and the stored bytes. */
interface PlayDeps {
  tokens: SignedTokensService;
  repo: JobRepository;
  storage: OutputStorage;
}

/**
 * `GET /play/<token>/<path>`: a signed output URL, outside `/v1` and without credentials, so a
 * plain `<video src>`, Safari's HLS or hls.js plays it from any page. The token (a path segment,
 * which an HLS playlist's relative URIs inherit) names the job and output; `<path>` is the file
 * output's name or a file of the directory output (anything else is a 404). Answers as
 * `GET /v1/jobs/:id/outputs/...` does (Range, 206/416, `ETag`), with CORS for any origin. A
 * forged token, one for another kind of use or for a job finished again since: 403
 * `signed_url_invalid`; an expired one: 403 `signed_url_expired`.
 */
export function playRouter(deps: PlayDeps): Router {
  const router = Router();
  router.use(
    cors({
      origin: '*',
      methods: ['GET', 'HEAD'],
      allowedHeaders: ['Range', 'If-Range', 'If-None-Match', 'If-Modified-Since'],
      exposedHeaders: ['Accept-Ranges', 'Content-Length', 'Content-Range', 'ETag', 'Last-Modified', 'X-Request-Id'],
      maxAge: 600,
    }),
  );
  router.use((_req, res, next) => {
    // helmet says same-origin; a `<video src>` on the customer's page loads the file without CORS.
    res.set('Cross-Origin-Resource-Policy', 'cross-origin');
    next();
  });
  router.get('/:token/*file', (req, res) => play(deps, req, res));
  return router;
}

async function play(deps: PlayDeps, req: Request, res: Response): Promise<void> {
  const params = req.params as { token: string; file: string[] | string };
  const grant = await grantOf(deps.tokens, params.token);
  const job = await deps.repo.getForCustomer(grant.customerId, grant.jobId);
  if (job && job.finishedAt !== grant.finishedAt)
    throw new SignedUrlInvalidError('the job was encoded again since this URL was signed: ask for a new one');
  const found = completedOutput(job, grant.output);
  const relative = Array.isArray(params.file) ? params.file.join('/') : params.file;
  const { output, preset } = found;
  const whole = !isDirectoryPreset(preset) && relative === outputFileName(output.name, preset);
  await sendStoredFile(deps.storage, req, res, storedFileOf(found, whole ? undefined : relative));
}

async function grantOf(tokens: SignedTokensService, token: string): Promise<PlaybackGrant> {
  try {
    return await tokens.verifyPlayback(token);
  } catch (err) {
    if (!(err instanceof TokenRejectedError)) throw err;
    if (err.reason === 'expired') throw new SignedUrlExpiredError('this signed URL has expired: ask for a new one');
    throw new SignedUrlInvalidError('this signed URL is not valid');
  }
}

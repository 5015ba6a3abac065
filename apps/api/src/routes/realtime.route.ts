import { customerChannel, jobIdFromChannel, type JobRepository } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import { Router, type Request } from 'express';
import type Pusher from 'pusher';
import { z } from 'zod';
import { ForbiddenError, NotFoundError, ViewerTokenScopeError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';
import type { SignedTokensService } from '../services/signed-tokens.service.js';

/** Body of `POST /v1/realtime/auth`, as pusher-js sends it (also the OpenAPI schema). */
export const realtimeAuthBodySchema = z.object({
  socket_id: z.string({ error: 'socket_id is required' }).regex(/^\d+\.\d+$/, 'not a Pusher socket id'),
  channel_name: z.string({ error: 'channel_name is required' }).min(1).max(164),
});

/** A viewer token's life when the request names none: an hour, long enough for a typical encode to be watched. */
const DEFAULT_VIEWER_TOKEN_TTL_S = 3600;
/** The longest life a viewer token may be given: a day. */
const MAX_VIEWER_TOKEN_TTL_S = 24 * 3600;

/** Body of `POST /v1/realtime/viewer-tokens` (also the OpenAPI schema). */
export const viewerTokenBodySchema = z.object({
  jobId: z.string({ error: 'jobId must be a job id' }).min(1, 'jobId must not be empty').max(128).optional(),
  ttlSeconds: z
    .number({ error: 'ttlSeconds must be a number of seconds' })
    .int('ttlSeconds must be a whole number')
    .min(1, 'ttlSeconds must be at least 1')
    .max(MAX_VIEWER_TOKEN_TTL_S, `ttlSeconds must be at most ${MAX_VIEWER_TOKEN_TTL_S} (24 hours)`)
    .default(DEFAULT_VIEWER_TOKEN_TTL_S),
});

/** What the realtime routes use. */
export interface RealtimeDeps {
  pusher: Pusher;
  repo: JobRepository;
  tokens: SignedTokensService;
  logger: Logger;
  /** Called after each successful channel authorization, before the answer (it may open the channel's gate); a failure is logged. */
  onAuthorized?: ((channel: string) => void | Promise<void>) | undefined;
}

/**
 * `POST /v1/realtime/auth`: Pusher private-channel authorization. An API key is authorized for
 * its customer's channel and the job channel of any of its jobs; a viewer token for its own
 * channel only. Anything else is a 403, logged. `POST /v1/realtime/viewer-tokens` (API keys only:
 * the viewer scope refuses viewer tokens) mints a viewer token for a customer's end user.
 */
export function realtimeRouter(deps: RealtimeDeps): Router {
  const router = Router();
  router.post('/auth', async (req, res) => {
    const body = realtimeAuthBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    const channel = body.data.channel_name;
    const refusal = await refusalOf(deps.repo, req, channel);
    if (refusal) {
      deps.logger.warn(
        { customerId: req.customerId, viewer: req.viewer !== undefined, channel, reason: refusal.message },
        'channel authorization refused',
      );
      throw refusal;
    }
    const auth = deps.pusher.authorizeChannel(body.data.socket_id, channel);
    // Not a reason to refuse the subscription: the occupied webhook opens the gate anyway, later.
    await Promise.resolve(deps.onAuthorized?.(channel)).catch((err: unknown) =>
      deps.logger.warn({ err, channel }, 'onAuthorized failed after a channel authorization'),
    );
    res.json(auth);
  });
  router.post('/viewer-tokens', async (req, res) => {
    const body = viewerTokenBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    const customerId = customerOf(req);
    const { jobId, ttlSeconds } = body.data;
    if (jobId !== undefined && (await deps.repo.ownerOf(jobId)) !== customerId) throw new NotFoundError('job');
    const { token, grant } = await deps.tokens.mintViewer({ customerId, jobId }, ttlSeconds);
    res.status(201).json({ token, channel: grant.channel, expiresAt: grant.expiresAt.toISOString() });
  });
  return router;
}

/** Why the request may not subscribe to `channel`, or undefined when it may. */
async function refusalOf(repo: JobRepository, req: Request, channel: string): Promise<Error | undefined> {
  if (req.viewer)
    return channel === req.viewer.channel
      ? undefined
      : new ViewerTokenScopeError(`this viewer token may subscribe to ${req.viewer.channel} only`);
  const customerId = customerOf(req);
  const own = customerChannel(customerId);
  if (channel === own) return undefined;
  const jobId = jobIdFromChannel(channel);
  // One HGET: whose job it is, nothing else.
  if (jobId !== undefined && (await repo.ownerOf(jobId)) === customerId) return undefined;
  return new ForbiddenError(`you may subscribe to ${own} and to private-job-<id> of your own jobs only`);
}

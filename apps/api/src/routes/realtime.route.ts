import { customerChannel } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import { Router } from 'express';
import type Pusher from 'pusher';
import { z } from 'zod';
import { ForbiddenError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';

/** Body of `POST /v1/realtime/auth`, as pusher-js sends it (also the OpenAPI schema). */
export const realtimeAuthBodySchema = z.object({
  socket_id: z.string({ error: 'socket_id is required' }).regex(/^\d+\.\d+$/, 'not a Pusher socket id'),
  channel_name: z.string({ error: 'channel_name is required' }).min(1).max(164),
});

/**
 * `POST /v1/realtime/auth`: Pusher private-channel authorization. A customer is authorized for
 * its own channel only; anything else is a 403, logged. A granted channel's gate opens at once
 * (`onAuthorized`), so the watcher's first events neither wait for nor depend on Pusher's occupied
 * webhook; if that fails (Redis away), the authorization still stands and the webhook opens it.
 */
export function realtimeRouter(
  pusher: Pusher,
  logger: Logger,
  onAuthorized?: (channel: string) => Promise<unknown>,
): Router {
  const router = Router();
  router.post('/auth', async (req, res) => {
    const body = realtimeAuthBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    const customerId = customerOf(req);
    const own = customerChannel(customerId);
    if (body.data.channel_name !== own) {
      logger.warn({ customerId, channel: body.data.channel_name }, 'channel authorization refused');
      throw new ForbiddenError(`you may subscribe to ${own} only`);
    }
    await onAuthorized?.(own).catch((err: unknown) =>
      logger.warn({ err, channel: own }, 'could not open the gate on authorization; the occupied webhook will'),
    );
    res.json(pusher.authorizeChannel(body.data.socket_id, own));
  });
  return router;
}

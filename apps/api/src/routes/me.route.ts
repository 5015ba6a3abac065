import type { Me, PusherSettings } from '@kiln/client/contract';
import { customerChannel } from '@kiln/jobs';
import { Router } from 'express';
import { customerOf } from '../middleware/auth.middleware.js';

/** What a pusher-js client needs to connect: the same for the dashboard, the CLI or a customer's page (owned by `@kiln/client`). */
export type PublicPusherSettings = PusherSettings;

/** `GET /v1/me`: who the key belongs to, its channel (a viewer token's own), and how to reach Pusher. */
export function meRouter(pusher: PublicPusherSettings): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const customerId = customerOf(req);
    const me: Me = { customerId, channel: req.viewer?.channel ?? customerChannel(customerId), pusher };
    res.json(me);
  });
  return router;
}

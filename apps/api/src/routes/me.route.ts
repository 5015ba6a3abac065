import { customerChannel } from '@kiln/jobs';
import { Router } from 'express';
import { customerOf } from '../middleware/auth.middleware.js';

/** What a pusher-js client needs to connect: the same for the dashboard, the CLI or a customer's page. */
export interface PublicPusherSettings {
  key: string;
  cluster: string;
  wsHost: string;
  wsPort: number;
  forceTLS: boolean;
}

/** `GET /v1/me`: who the key belongs to, its channel, and how to reach Pusher. */
export function meRouter(pusher: PublicPusherSettings): Router {
  const router = Router();
  router.get('/', (req, res) => {
    const customerId = customerOf(req);
    res.json({ customerId, channel: customerChannel(customerId), pusher });
  });
  return router;
}

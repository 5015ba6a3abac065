import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router } from 'express';
import { basicAuth } from '../middleware/basic-auth.middleware.js';
import { adminPageCsp } from '../middleware/security-headers.middleware.js';
import type { FleetService } from '../services/fleet.service.js';
import { fleetRouter } from './fleet.route.js';

/** Where Bull Board is mounted. */
const ADMIN_QUEUES_PATH = '/admin/queues';

/** Operator access to Bull Board and the fleet view: who may see them, which queues the board shows. */
export interface AdminSettings {
  user: string;
  password: string;
  queues: Queue[];
  /** The fleet view at /admin/fleet and GET /v1/admin/fleet. */
  fleet: FleetService;
}

/**
 * Bull Board at {@link ADMIN_QUEUES_PATH} and the fleet view (fleet.route.ts) behind HTTP basic
 * authentication. The board is read-only: the job store, not BullMQ, is the source of truth, so
 * retrying or removing a BullMQ entry from the board would leave the job the API shows out of
 * step; operators use the API's cancel and retry.
 */
export function adminRouter(settings: AdminSettings): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: settings.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    // @bull-board/express 9.10.1 nests its own @bull-board/api 9.10.1 next to our 9.10.2: the same
    // interface twice, which TypeScript tells apart by a private field only.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Kiln queues' } },
  });
  const router = Router();
  const auth = basicAuth(settings.user, settings.password, 'Kiln admin');
  router.use(ADMIN_QUEUES_PATH, auth, adminPageCsp(), serverAdapter.getRouter() as Router);
  router.use(fleetRouter(settings.fleet, auth));
  return router;
}

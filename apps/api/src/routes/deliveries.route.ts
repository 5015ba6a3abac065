import {
  replayed,
  type WebhookDelivery,
  type WebhookDeliveryRepository,
  type WebhookQueue,
} from '@kiln/customer-webhooks';
import type { JobRepository } from '@kiln/jobs';
import { Router } from 'express';
import { ConflictError, NotFoundError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';

/** A delivery as the API shows it: without its stored body, customer and series bookkeeping. */
function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    endpointId: d.endpointId,
    url: d.url,
    eventType: d.eventType,
    webhookId: d.webhookId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    createdAt: d.createdAt,
  };
}

/** What the delivery routes work with. */
interface DeliveryDeps {
  deliveries: WebhookDeliveryRepository;
  queue: Pick<WebhookQueue, 'add'>;
  repo: JobRepository;
  /** Default `Date.now`. */
  clock?: () => number;
}

/** `GET /v1/jobs/:id/deliveries`: every webhook delivery of the job, each with every attempt. */
export function jobDeliveriesRouter(deps: DeliveryDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const customerId = customerOf(req);
    const jobId = (req.params as { id: string }).id;
    const deliveries = await deps.deliveries.listForJob(customerId, jobId);
    // A deleted job's deliveries stay readable until they expire.
    if (deliveries.length === 0 && !(await deps.repo.getForCustomer(customerId, jobId))) throw new NotFoundError('job');
    res.json({ deliveries: deliveries.map(deliveryView) });
  });
  return router;
}

/**
 * `POST /v1/deliveries/:id/replay`: sends a delivery again as a new series of attempts, with the
 * same `webhook-id` and body. A delivery still being retried is a 409.
 */
export function deliveriesRouter(deps: DeliveryDeps): Router {
  const router = Router();
  const clock = deps.clock ?? Date.now;
  router.post('/:id/replay', async (req, res) => {
    const delivery = await deps.deliveries.getForCustomer(customerOf(req), req.params.id);
    if (!delivery) throw new NotFoundError('delivery');
    if (delivery.status === 'pending')
      throw new ConflictError('the delivery is still being tried; replay it once it succeeded or failed');
    const again = replayed(delivery, clock());
    if (!(await deps.deliveries.save(again))) throw new NotFoundError('delivery');
    await deps.queue.add(again);
    res.status(202).json({ delivery: deliveryView(again) });
  });
  return router;
}

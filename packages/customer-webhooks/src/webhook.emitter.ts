import { createHash } from 'node:crypto';
import type { Job, JobOutput } from '@kiln/jobs';
import type { WebhookDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import type { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { webhookPayload, type WebhookEventType } from './webhook-events.js';
import type { WebhookQueue } from './webhook.queue.js';

/** What a {@link WebhookEmitter} works with. */
export interface WebhookEmitterDeps {
  endpoints: Pick<WebhookEndpointRepository, 'list'>;
  deliveries: Pick<WebhookDeliveryRepository, 'createOnce'>;
  queue: Pick<WebhookQueue, 'add'>;
  /** Default `Date.now`. */
  clock?: () => number;
}

/**
 * Turns a job event into deliveries: one per enabled endpoint of the job's customer subscribed to
 * the event, each stored (pending) and queued. Independent of the realtime gate: it runs whether
 * or not anyone watches. Each delivery gets its own `webhook-id`, kept on retries and replays.
 * Ids derive from the event (job, type, the job record's `seq`, output) and the endpoint, so
 * emitting the same event again (a worker that died before acknowledging its job, and the next
 * one finishing the announcement) makes no second delivery.
 */
export class WebhookEmitter {
  private readonly clock: () => number;

  constructor(private readonly deps: WebhookEmitterDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Emits `type` about `job` (and `output`, for `output.completed`); returns the deliveries made. */
  async emit(type: WebhookEventType, job: Job, output?: JobOutput): Promise<WebhookDelivery[]> {
    const endpoints = (await this.deps.endpoints.list(job.customerId)).filter(
      (e) => e.status === 'enabled' && e.events.includes(type),
    );
    if (endpoints.length === 0) return [];
    const now = new Date(this.clock());
    const body = JSON.stringify(webhookPayload(type, job, now, output));
    const made: WebhookDelivery[] = [];
    for (const endpoint of endpoints) {
      const hash = createHash('sha256')
        .update(JSON.stringify([job.id, type, job.seq, output?.name ?? null, endpoint.id]))
        .digest('hex')
        .slice(0, 32);
      const delivery: WebhookDelivery = {
        id: `dlv_${hash}`,
        customerId: job.customerId,
        jobId: job.id,
        endpointId: endpoint.id,
        url: endpoint.url,
        eventType: type,
        webhookId: `msg_${hash}`,
        status: 'pending',
        attempts: [],
        nextAttemptAt: now.toISOString(),
        createdAt: now.toISOString(),
        series: 0,
        seriesStartedAt: now.toISOString(),
        body,
      };
      if (!(await this.deps.deliveries.createOnce(delivery))) continue;
      await this.deps.queue.add(delivery);
      made.push(delivery);
    }
    return made;
  }
}

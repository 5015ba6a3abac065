import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@kiln/client/contract';
import type { Job, JobOutput } from '@kiln/jobs';

// The event names are part of the wire contract, owned by @kiln/client.
export { WEBHOOK_EVENT_TYPES, type WebhookEventType };

/**
 * The body of a webhook (Standard Webhooks shape): the event type, when it happened, and the whole
 * job as `GET /v1/jobs/:id` returns it (files included), plus the output for `output.completed`.
 */
export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: { job: Job; output?: JobOutput };
}

/** The payload of an event about `job` that happened at `at`. */
export function webhookPayload(type: WebhookEventType, job: Job, at: Date, output?: JobOutput): WebhookPayload {
  return { type, timestamp: at.toISOString(), data: output ? { job, output } : { job } };
}

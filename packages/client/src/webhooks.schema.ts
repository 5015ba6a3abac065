import * as z from 'zod/mini';

/** The events a webhook endpoint may subscribe to (all of them by default). */
export const WEBHOOK_EVENT_TYPES = ['job.completed', 'job.failed', 'job.cancelled', 'output.completed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const iso = z.string().check(z.meta({ format: 'date-time' }));

/**
 * A customer's webhook endpoint as the API shows it (never its secret after creation). A disabled
 * endpoint says why in `disabledReason`; `previousSecretExpiresAt` is when the secret before the
 * last rotation stops signing (null without a rotation).
 */
export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.nullable(z.string()),
  status: z.enum(['enabled', 'disabled']),
  disabledReason: z.nullable(z.string()),
  createdAt: iso,
  previousSecretExpiresAt: z.nullable(iso),
});
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;

/** `POST /v1/webhook-endpoints`: the endpoint and its `whsec_` signing secret, shown only here. */
export const createdWebhookEndpointSchema = z.extend(webhookEndpointSchema, { secret: z.string() });
export type CreatedWebhookEndpoint = z.infer<typeof createdWebhookEndpointSchema>;

/** `GET /v1/webhook-endpoints`. */
export const webhookEndpointListSchema = z.object({ endpoints: z.array(webhookEndpointSchema) });

/** `POST /v1/webhook-endpoints/:id/rotate-secret`: the new secret; the old one signs too until `previousSecretExpiresAt`. */
export const rotatedSecretSchema = z.object({ secret: z.string(), previousSecretExpiresAt: iso });
export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;

/** One try at a delivery: the receiver's status (null: no answer), its duration and why it failed (null: a 2xx). */
export const webhookAttemptSchema = z.object({
  at: iso,
  statusCode: z.nullable(z.int()),
  durationMs: z.number(),
  error: z.nullable(z.string()),
});
export type WebhookAttemptView = z.infer<typeof webhookAttemptSchema>;

/**
 * One event sent to one endpoint, with every attempt. `webhookId` is the `webhook-id` header,
 * the same on retries and replays; `nextAttemptAt` is set while another try is scheduled.
 */
export const webhookDeliverySchema = z.object({
  id: z.string(),
  endpointId: z.string(),
  url: z.string(),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  webhookId: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.array(webhookAttemptSchema),
  nextAttemptAt: z.nullable(iso),
  createdAt: iso,
});
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

/** `GET /v1/jobs/:id/deliveries`. */
export const webhookDeliveryListSchema = z.object({ deliveries: z.array(webhookDeliverySchema) });

/** `POST /v1/deliveries/:id/replay`. */
export const replayedDeliverySchema = z.object({ delivery: webhookDeliverySchema });

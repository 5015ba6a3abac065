import * as z from 'zod/mini';

/**
 * The shapes of customer webhooks on the wire: endpoints (`/v1/webhook-endpoints`) and the
 * deliveries of a job's events (`GET /v1/jobs/:id/deliveries`). Unknown extra fields are kept.
 */

const isoDateTime = z.string().check(z.meta({ format: 'date-time' }));

/** One webhook endpoint; its secret is never listed (only creation and rotation return one). */
export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.optional(z.nullable(z.string())),
  status: z.enum(['enabled', 'disabled']),
  /** Why Kiln disabled it (failing for days); only while disabled. */
  disabledReason: z.optional(z.nullable(z.string())),
  createdAt: isoDateTime,
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** `POST /v1/webhook-endpoints`: the endpoint and its `whsec_` secret, shown this once. */
export const createdWebhookEndpointSchema = z.extend(webhookEndpointSchema, { secret: z.string() });
export type CreatedWebhookEndpoint = z.infer<typeof createdWebhookEndpointSchema>;

/** `POST /v1/webhook-endpoints/:id/rotate-secret`: the new secret; the old one signs too until it expires. */
export const rotatedSecretSchema = z.object({ secret: z.string(), previousSecretExpiresAt: isoDateTime });
export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;

/** One try to deliver an event: the receiver's status code (null when none came back) and how long it took. */
export const deliveryAttemptSchema = z.object({
  at: isoDateTime,
  statusCode: z.nullable(z.int()),
  durationMs: z.number(),
  error: z.nullable(z.string()),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** One event of a job sent to one endpoint, with every attempt so far. */
export const webhookDeliverySchema = z.object({
  id: z.string(),
  endpointId: z.string(),
  url: z.string(),
  eventType: z.string(),
  /** The `webhook-id` header: the same for every attempt and replay, so receivers can drop repeats. */
  webhookId: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.array(deliveryAttemptSchema),
  nextAttemptAt: z.nullable(isoDateTime),
  createdAt: isoDateTime,
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** `POST /v1/jobs/:id/outputs/:name/url`: a URL that plays without headers until `expiresAt`. */
export const signedUrlSchema = z.object({ url: z.string(), expiresAt: isoDateTime });
export type SignedUrl = z.infer<typeof signedUrlSchema>;

/** What `POST /v1/webhook-endpoints` takes. */
export interface NewWebhookEndpoint {
  url: string;
  /** Event types to send; all of them when left out. */
  events?: string[];
  description?: string;
}

import {
  createdWebhookEndpointSchema,
  replayedDeliverySchema,
  rotatedSecretSchema,
  webhookDeliveryListSchema,
  webhookDeliverySchema,
  webhookEndpointListSchema,
  webhookEndpointSchema,
} from '@kiln/client/contract';
import { z } from 'zod';
import { createWebhookEndpointSchema } from '../routes/webhook-endpoints.route.js';

type JsonSchema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const bearer = [{ bearerAuth: [] }];
const idParam = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: what,
});
const common = { '401': errorRef('Unauthorized'), '429': errorRef('RateLimited') };
const tags = ['webhooks'];

/** The webhook request and response shapes, from the zod schemas the routes and @kiln/client use. */
export function webhookSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(webhookEndpointSchema, { id: 'WebhookEndpoint' });
  registry.add(createdWebhookEndpointSchema, { id: 'CreatedWebhookEndpoint' });
  registry.add(webhookEndpointListSchema, { id: 'WebhookEndpointList' });
  registry.add(rotatedSecretSchema, { id: 'RotatedSecret' });
  registry.add(webhookDeliverySchema, { id: 'WebhookDelivery' });
  registry.add(webhookDeliveryListSchema, { id: 'WebhookDeliveryList' });
  registry.add(replayedDeliverySchema, { id: 'ReplayedDelivery' });
  registry.add(createWebhookEndpointSchema, { id: 'CreateWebhookEndpointRequest' });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}` });
  return JSON.parse(
    JSON.stringify(schemas, (k: string, v: unknown) => (k === '$schema' || k === '$id' ? undefined : v)),
  );
}

const endpointPaths = {
  '/v1/webhook-endpoints': {
    post: {
      summary: 'Add a webhook endpoint',
      description:
        'Deliveries of the chosen events (all four by default) are POSTed to `url`, signed per the Standard Webhooks spec with the returned `whsec_` secret, which is shown only in this answer. A URL whose host is a private IP address is refused unless KILN_WEBHOOK_ALLOW_HOSTS lists it (a host name is checked at each delivery). At most 20 endpoints per customer (409 `webhook_endpoint_limit`).',
      tags,
      security: bearer,
      requestBody: { required: true, content: { 'application/json': { schema: ref('CreateWebhookEndpointRequest') } } },
      responses: {
        '201': json(ref('CreatedWebhookEndpoint'), 'created; `secret` is shown only here'),
        '400': errorRef('BadRequest'),
        '409': errorRef('Conflict'),
        ...common,
      },
    },
    get: {
      summary: "The customer's webhook endpoints",
      tags,
      security: bearer,
      responses: { '200': json(ref('WebhookEndpointList'), 'every endpoint, without secrets'), ...common },
    },
  },
  '/v1/webhook-endpoints/{id}': {
    get: {
      summary: 'One webhook endpoint',
      tags,
      security: bearer,
      parameters: [idParam('the endpoint id')],
      responses: { '200': json(ref('WebhookEndpoint'), 'the endpoint'), '404': errorRef('NotFound'), ...common },
    },
    delete: {
      summary: 'Delete a webhook endpoint',
      description: 'Its pending deliveries fail at their next try, with the reason in their attempts.',
      tags,
      security: bearer,
      parameters: [idParam('the endpoint id')],
      responses: { '204': { description: 'deleted' }, '404': errorRef('NotFound'), ...common },
    },
  },
  '/v1/webhook-endpoints/{id}/rotate-secret': {
    post: {
      summary: "Rotate an endpoint's signing secret",
      description:
        'Returns the new secret. Until `previousSecretExpiresAt` (KILN_WEBHOOK_SECRET_OVERLAP_H) each delivery carries a signature with each secret, space-separated in `webhook-signature`, so receivers verify with either.',
      tags,
      security: bearer,
      parameters: [idParam('the endpoint id')],
      responses: { '200': json(ref('RotatedSecret'), 'the new secret'), '404': errorRef('NotFound'), ...common },
    },
  },
  '/v1/webhook-endpoints/{id}/enable': {
    post: {
      summary: 'Re-enable a disabled webhook endpoint',
      description:
        'An endpoint whose deliveries all failed for KILN_WEBHOOK_DISABLE_AFTER_H is disabled (`disabledReason` says why); this enables it again. Deliveries it missed can be replayed.',
      tags,
      security: bearer,
      parameters: [idParam('the endpoint id')],
      responses: { '200': json(ref('WebhookEndpoint'), 'enabled'), '404': errorRef('NotFound'), ...common },
    },
  },
};

const deliveryPaths = {
  '/v1/jobs/{id}/deliveries': {
    get: {
      summary: "A job's webhook deliveries",
      description:
        'One delivery per event and endpoint, each with every attempt (time, status code or null, duration, error) and the next try while one is scheduled.',
      tags,
      security: bearer,
      parameters: [idParam('the job id')],
      responses: { '200': json(ref('WebhookDeliveryList'), 'oldest first'), '404': errorRef('NotFound'), ...common },
    },
  },
  '/v1/deliveries/{id}/replay': {
    post: {
      summary: 'Send a webhook delivery again',
      description:
        'A new series of attempts with the same `webhook-id` and body (receivers drop repeats by `webhook-id`). A delivery still being retried is a 409.',
      tags,
      security: bearer,
      parameters: [idParam('the delivery id')],
      responses: {
        '202': json(ref('ReplayedDelivery'), 'queued'),
        '404': errorRef('NotFound'),
        '409': errorRef('Conflict'),
        ...common,
      },
    },
  },
};

/** The webhook routes of the OpenAPI document. */
export function webhookPaths(): Record<
  string,
  Record<string, { summary: string; tags: string[]; responses: Record<string, unknown> }>
> {
  return { ...endpointPaths, ...deliveryPaths };
}

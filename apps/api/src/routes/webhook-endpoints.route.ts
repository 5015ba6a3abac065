import { AddressAllowlist, normalizeHost } from '@kiln/address-policy';
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint, type WebhookEndpointRepository } from '@kiln/customer-webhooks';
import { isIP } from 'node:net';
import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../http.errors.js';
import { customerOf } from '../middleware/auth.middleware.js';
import { validationErrorFrom } from '../middleware/error.middleware.js';

/** Webhook endpoints one customer may have. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

const isReceiverUrl = (s: string): boolean => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && u.hostname !== '';
  } catch {
    return false;
  }
};

/** Body of `POST /v1/webhook-endpoints` (also the OpenAPI schema). */
export const createWebhookEndpointSchema = z.strictObject({
  url: z
    .string({ error: 'url is required: the http:// or https:// URL deliveries are POSTed to' })
    .max(2048, 'must be at most 2048 characters')
    .refine(isReceiverUrl, 'must be an absolute http:// or https:// URL without user:password@'),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }))
    .min(1, 'must name at least one event (leave it out for all of them)')
    .optional(),
  description: z.string().max(500, 'must be at most 500 characters').optional(),
});

/** An endpoint as the API shows it: never its secrets, nor its failure streak. */
function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    description: e.description,
    status: e.status,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt,
    previousSecretExpiresAt: e.previousSecretExpiresAt,
  };
}

/**
 * A receiver URL whose host is an IP address the address policy refuses is a 400 at once; a host
 * name is checked when each delivery is sent (what it resolves to may change), and a refusal then
 * shows in the delivery's attempts.
 */
function checkReceiver(url: string, allowlist: AddressAllowlist): void {
  const host = normalizeHost(new URL(url).hostname);
  if (!isIP(host)) return;
  const why = allowlist.refusal(host, [host]);
  if (why)
    throw new ValidationError([
      { path: 'url', message: `webhooks may not be sent to ${host}: ${why} (KILN_WEBHOOK_ALLOW_HOSTS allows it)` },
    ]);
}

/**
 * `/v1/webhook-endpoints`: a customer's webhook endpoints: create (the `whsec_` secret is shown
 * only then), list, read, delete, rotate the secret (the old one signs too for
 * KILN_WEBHOOK_SECRET_OVERLAP_H) and re-enable a disabled one.
 */
export function webhookEndpointsRouter(deps: {
  endpoints: WebhookEndpointRepository;
  allowHosts: readonly string[];
  secretOverlapMs: number;
}): Router {
  const router = Router();
  const { endpoints } = deps;
  const allowlist = new AddressAllowlist(deps.allowHosts);
  const found = (e: WebhookEndpoint | null): WebhookEndpoint => {
    if (!e) throw new NotFoundError('webhook endpoint');
    return e;
  };

  router.post('/', async (req, res) => {
    const body = createWebhookEndpointSchema.safeParse(req.body ?? {});
    if (!body.success) throw validationErrorFrom(body.error);
    checkReceiver(body.data.url, allowlist);
    const { url, events = [...WEBHOOK_EVENT_TYPES], description = null } = body.data;
    const endpoint = await endpoints.create(customerOf(req), { url, events, description }, MAX_WEBHOOK_ENDPOINTS);
    res
      .status(201)
      .location(`/v1/webhook-endpoints/${endpoint.id}`)
      .json({ ...endpointView(endpoint), secret: endpoint.secret });
  });

  router.get('/', async (req, res) => {
    res.json({ endpoints: (await endpoints.list(customerOf(req))).map(endpointView) });
  });

  router.get('/:id', async (req, res) => {
    res.json(endpointView(found(await endpoints.getForCustomer(customerOf(req), req.params.id))));
  });

  router.delete('/:id', async (req, res) => {
    if (!(await endpoints.delete(customerOf(req), req.params.id))) throw new NotFoundError('webhook endpoint');
    res.status(204).end();
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const endpoint = found(await endpoints.rotateSecret(customerOf(req), req.params.id, deps.secretOverlapMs));
    res.json({ secret: endpoint.secret, previousSecretExpiresAt: endpoint.previousSecretExpiresAt });
  });

  router.post('/:id/enable', async (req, res) => {
    res.json(endpointView(found(await endpoints.enable(customerOf(req), req.params.id))));
  });

  return router;
}

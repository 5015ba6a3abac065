import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@kiln/client';
import { UsageError } from '../errors.js';
import { writeJson, type CommandContext } from '../cli-context.js';
import { renderTable } from '../table.js';

/** `--event` values, each one of the webhook event types. */
function parseEvents(events: readonly string[]): WebhookEventType[] | undefined {
  if (events.length === 0) return undefined;
  for (const e of events)
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
      throw new UsageError(`unknown event ${e}; use one of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  return events as WebhookEventType[];
}

/** `kiln webhooks add <url>`: adds an endpoint and prints its secret, which the API shows only now. */
export async function webhooksAddCommand(
  ctx: CommandContext,
  url: string,
  opts: { event: string[]; description?: string },
): Promise<number> {
  const events = parseEvents(opts.event);
  const endpoint = await ctx.api.createWebhookEndpoint({
    url,
    ...(events ? { events } : {}),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  });
  if (ctx.json) writeJson(ctx, endpoint);
  else
    ctx.io.stdout.write(
      `Endpoint ${endpoint.id} → ${endpoint.url} (${endpoint.events.join(', ')})\n` +
        `Signing secret (shown only now): ${endpoint.secret}\n`,
    );
  return 0;
}

/** `kiln webhooks list`: the customer's endpoints. */
export async function webhooksListCommand(ctx: CommandContext): Promise<number> {
  const endpoints = await ctx.api.listWebhookEndpoints();
  if (ctx.json) {
    writeJson(ctx, { endpoints });
    return 0;
  }
  const rows = endpoints.map((e) => [
    e.id,
    e.status === 'disabled' ? `disabled: ${e.disabledReason ?? ''}` : 'enabled',
    e.url,
    e.events.join(','),
  ]);
  ctx.io.stdout.write(renderTable(['ID', 'STATUS', 'URL', 'EVENTS'], rows));
  return 0;
}

/** `kiln webhooks rm <id>`. */
export async function webhooksRemoveCommand(ctx: CommandContext, id: string): Promise<number> {
  await ctx.api.deleteWebhookEndpoint(id);
  if (ctx.json) writeJson(ctx, { id, deleted: true });
  else ctx.io.stdout.write(`Endpoint ${id} deleted\n`);
  return 0;
}

/** `kiln webhooks rotate <id>`: a new secret; the old one keeps signing until the time printed. */
export async function webhooksRotateCommand(ctx: CommandContext, id: string): Promise<number> {
  const rotated = await ctx.api.rotateWebhookSecret(id);
  if (ctx.json) writeJson(ctx, rotated);
  else
    ctx.io.stdout.write(
      `New signing secret: ${rotated.secret}\nThe old secret also signs until ${rotated.previousSecretExpiresAt}\n`,
    );
  return 0;
}

/** `kiln deliveries <jobId>`: the job's webhook deliveries, one row per attempt series' state. */
export async function deliveriesCommand(ctx: CommandContext, jobId: string): Promise<number> {
  const deliveries = await ctx.api.listDeliveries(jobId);
  if (ctx.json) {
    writeJson(ctx, { deliveries });
    return 0;
  }
  const rows = deliveries.map((d) => {
    const last = d.attempts.at(-1);
    const lastText = last ? (last.error ?? String(last.statusCode)) : '-';
    return [d.id, d.eventType, d.status, String(d.attempts.length), lastText, d.nextAttemptAt ?? '-', d.url];
  });
  ctx.io.stdout.write(renderTable(['ID', 'EVENT', 'STATUS', 'TRIES', 'LAST', 'NEXT TRY', 'URL'], rows));
  return 0;
}

/** `kiln replay <deliveryId>`: sends a delivery again (same webhook-id). */
export async function replayCommand(ctx: CommandContext, id: string): Promise<number> {
  const delivery = await ctx.api.replayDelivery(id);
  if (ctx.json) writeJson(ctx, delivery);
  else ctx.io.stdout.write(`Delivery ${delivery.id} queued again (webhook-id ${delivery.webhookId})\n`);
  return 0;
}

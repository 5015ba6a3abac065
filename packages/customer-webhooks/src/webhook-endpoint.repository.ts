import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@kiln/jobs';
import { healthAfterAttempt, type HealthVerdict } from './endpoint-health.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';
import { WebhookKeys } from './webhook.keys.js';
import { EndpointLimitError } from './webhooks.errors.js';
import { newWebhookSecret } from './webhook-secret.js';

/** A customer's webhook endpoint as stored, secrets included (the API never shows them after creation). */
export interface WebhookEndpoint {
  id: string;
  customerId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  createdAt: string;
  secret: string;
  /** The secret before the last rotation: deliveries are signed with it too until it expires. */
  previousSecret: string | null;
  previousSecretExpiresAt: string | null;
  /** When its deliveries began failing without a success since (ms), or null. */
  failingSince: number | null;
}

// Adds an endpoint unless the customer has ARGV[1] already (0: no cap). KEYS: the customer's set, the hash.
const CREATE_SCRIPT = `
local cap = tonumber(ARGV[1])
if cap > 0 and redis.call('SCARD', KEYS[1]) >= cap then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('SADD', KEYS[1], ARGV[2])
return 1
`;

// HSET on an endpoint that still exists: a write racing a delete must not bring the hash back.
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

type Commands = {
  kilnWebhookCreate: (...a: string[]) => Promise<number>;
  kilnWebhookUpdate: (...a: string[]) => Promise<number>;
};

const fields = (values: Record<string, string | number | null>): string[] =>
  Object.entries(values).flatMap(([k, v]) => [k, v === null ? '' : String(v)]);

function decode(raw: Record<string, string>): WebhookEndpoint | null {
  if (!raw.id || !raw.customerId || !raw.url || !raw.secret) return null;
  const orNull = (s: string | undefined) => (s ? s : null);
  return {
    id: raw.id,
    customerId: raw.customerId,
    url: raw.url,
    events: raw.events ? (JSON.parse(raw.events) as WebhookEventType[]) : [...WEBHOOK_EVENT_TYPES],
    description: orNull(raw.description),
    status: raw.status === 'disabled' ? 'disabled' : 'enabled',
    disabledReason: orNull(raw.disabledReason),
    createdAt: raw.createdAt ?? '',
    secret: raw.secret,
    previousSecret: orNull(raw.previousSecret),
    previousSecretExpiresAt: orNull(raw.previousSecretExpiresAt),
    failingSince: raw.failingSince ? Number(raw.failingSince) : null,
  };
}

/**
 * Customers' webhook endpoints in Redis: one hash per endpoint and a set of ids per customer.
 * Creation checks the customer's cap in the same script that adds the endpoint.
 */
export class WebhookEndpointRepository {
  private readonly keys: WebhookKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.keys = new WebhookKeys(prefix);
    redis.defineCommand('kilnWebhookCreate', { numberOfKeys: 2, lua: CREATE_SCRIPT });
    redis.defineCommand('kilnWebhookUpdate', { numberOfKeys: 1, lua: UPDATE_SCRIPT });
  }

  private get commands(): Commands {
    return this.redis as unknown as Commands;
  }

  /** Adds an endpoint with a new secret; throws {@link EndpointLimitError} past `limit` (0: none). */
  async create(
    customerId: string,
    input: { url: string; events: readonly WebhookEventType[]; description: string | null },
    limit: number,
  ): Promise<WebhookEndpoint> {
    const endpoint: WebhookEndpoint = {
      id: `ep_${randomUUID()}`,
      customerId,
      url: input.url,
      events: [...input.events],
      description: input.description,
      status: 'enabled',
      disabledReason: null,
      createdAt: new Date(this.clock()).toISOString(),
      secret: newWebhookSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
    };
    const values = fields({ ...endpoint, events: JSON.stringify(endpoint.events) });
    const added = await this.commands.kilnWebhookCreate(
      this.keys.customerEndpoints(customerId),
      this.keys.endpoint(endpoint.id),
      String(limit),
      endpoint.id,
      ...values,
    );
    if (added !== 1) throw new EndpointLimitError(limit);
    return endpoint;
  }

  /** The endpoint, or null when it does not exist. */
  async get(id: string): Promise<WebhookEndpoint | null> {
    return decode(await this.redis.hgetall(this.keys.endpoint(id)));
  }

  /** The endpoint when it exists and belongs to the customer, else null. */
  async getForCustomer(customerId: string, id: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.get(id);
    return endpoint?.customerId === customerId ? endpoint : null;
  }

  /** The customer's endpoints, oldest first. */
  async list(customerId: string): Promise<WebhookEndpoint[]> {
    const ids = await this.redis.smembers(this.keys.customerEndpoints(customerId));
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.endpoint(id));
    const rows = (await pipeline.exec()) ?? [];
    return rows
      .map(([, raw]) => decode((raw ?? {}) as Record<string, string>))
      .filter((e): e is WebhookEndpoint => e !== null && e.customerId === customerId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the customer's endpoint; false when there was none. Its pending deliveries then fail on their next try. */
  async delete(customerId: string, id: string): Promise<boolean> {
    if (!(await this.getForCustomer(customerId, id))) return false;
    await this.redis.multi().del(this.keys.endpoint(id)).srem(this.keys.customerEndpoints(customerId), id).exec();
    return true;
  }

  /**
   * A new secret; the old one keeps signing (beside the new one) for `overlapMs`. Returns the
   * endpoint as it is now, or null when it is gone.
   */
  async rotateSecret(customerId: string, id: string, overlapMs: number): Promise<WebhookEndpoint | null> {
    const endpoint = await this.getForCustomer(customerId, id);
    if (!endpoint) return null;
    const changes = {
      secret: newWebhookSecret(),
      previousSecret: endpoint.secret,
      previousSecretExpiresAt: new Date(this.clock() + overlapMs).toISOString(),
    };
    return (await this.write(id, changes)) ? { ...endpoint, ...changes } : null;
  }

  /** Enables the endpoint again (its failure streak forgotten); null when it is gone. */
  async enable(customerId: string, id: string): Promise<WebhookEndpoint | null> {
    const endpoint = await this.getForCustomer(customerId, id);
    if (!endpoint) return null;
    const changes = { status: 'enabled' as const, disabledReason: null, failingSince: null };
    return (await this.write(id, changes)) ? { ...endpoint, ...changes } : null;
  }

  /**
   * Applies the disable-after rule ({@link healthAfterAttempt}) after an attempt on `endpoint`:
   * keeps its failure streak and disables it, with a reason, once the streak is long enough.
   */
  async recordAttempt(
    endpoint: Pick<WebhookEndpoint, 'id'>,
    attempt: { ok: boolean; error: string | null; at: number },
    disableAfterMs: number,
  ): Promise<HealthVerdict> {
    const current = await this.redis.hget(this.keys.endpoint(endpoint.id), 'failingSince');
    const since = current ? Number(current) : null;
    const verdict = healthAfterAttempt({ failingSince: since }, attempt, disableAfterMs);
    // Nothing changes while a streak goes on (or none starts): no write.
    if (verdict.failingSince === since && !verdict.disable) return verdict;
    const changes: Record<string, string | number | null> = { failingSince: verdict.failingSince };
    if (verdict.disable) Object.assign(changes, { status: 'disabled', disabledReason: verdict.disable });
    await this.write(endpoint.id, changes);
    return verdict;
  }

  private async write(id: string, changes: Record<string, string | number | null>): Promise<boolean> {
    return (await this.commands.kilnWebhookUpdate(this.keys.endpoint(id), ...fields(changes))) === 1;
  }
}

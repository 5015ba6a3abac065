import type { RedisClient } from '@kiln/jobs';
import type { WebhookEventType } from './webhook-events.js';
import { DELIVERY_TTL_S, WebhookKeys } from './webhook.keys.js';

/** One try at sending a delivery: when, what the receiver answered (null: no answer), how long, why it failed. */
export interface WebhookAttempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * One event sent to one endpoint, with every attempt made. `webhookId` (the `webhook-id` header)
 * stays the same on retries and replays, so a receiver can drop repeats; `body` is the exact JSON
 * sent each time. `series` counts replays: each starts a new series of retries.
 */
export interface WebhookDelivery {
  id: string;
  customerId: string;
  jobId: string;
  endpointId: string;
  url: string;
  eventType: WebhookEventType;
  webhookId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  series: number;
  seriesStartedAt: string;
  body: string;
}

/**
 * Deliveries in Redis: one JSON string per delivery and an index per job, both expiring after
 * {@link DELIVERY_TTL_S}. Only the delivery's own BullMQ job writes it while it is pending (one
 * attempt at a time), and a replay only once it is not, so whole-record writes do not race.
 */
export class WebhookDeliveryRepository {
  private readonly keys: WebhookKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new WebhookKeys(prefix);
  }

  /** Stores a new delivery and lists it under its job; false (nothing written) when one with its id exists. */
  async createOnce(delivery: WebhookDelivery): Promise<boolean> {
    const key = this.keys.delivery(delivery.id);
    const made = await this.redis.set(key, JSON.stringify(delivery), 'EX', DELIVERY_TTL_S, 'NX');
    if (made !== 'OK') return false;
    const index = this.keys.jobDeliveries(delivery.jobId);
    await this.redis
      .multi()
      .zadd(index, Date.parse(delivery.createdAt), delivery.id)
      .expire(index, DELIVERY_TTL_S)
      .exec();
    return true;
  }

  /** The delivery, or null when it does not exist (never made, or expired). */
  async get(id: string): Promise<WebhookDelivery | null> {
    const raw = await this.redis.get(this.keys.delivery(id));
    return raw ? (JSON.parse(raw) as WebhookDelivery) : null;
  }

  /** The delivery when it exists and belongs to the customer, else null. */
  async getForCustomer(customerId: string, id: string): Promise<WebhookDelivery | null> {
    const delivery = await this.get(id);
    return delivery?.customerId === customerId ? delivery : null;
  }

  /** The customer's deliveries of a job, oldest first. */
  async listForJob(customerId: string, jobId: string): Promise<WebhookDelivery[]> {
    const ids = await this.redis.zrange(this.keys.jobDeliveries(jobId), '0', '-1');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.delivery(id)));
    return raws
      .filter((raw): raw is string => raw !== null)
      .map((raw) => JSON.parse(raw) as WebhookDelivery)
      .filter((d) => d.customerId === customerId);
  }

  /** Writes the delivery back (its expiry kept); false when it expired meanwhile, which is not brought back. */
  async save(delivery: WebhookDelivery): Promise<boolean> {
    const res = await this.redis.call(
      'SET',
      this.keys.delivery(delivery.id),
      JSON.stringify(delivery),
      'XX',
      'KEEPTTL',
    );
    return res === 'OK';
  }
}

/**
 * The Redis layout of customer webhooks, in one place. Every key starts with the app's prefix,
 * which carries the hash tag on a Redis Cluster (`{kiln}`), so the scripts and multi-key reads
 * below stay in one slot.
 */
export class WebhookKeys {
  constructor(readonly prefix: string) {}

  /** `<prefix>:webhooks:endpoint:<id>`: the endpoint's hash. */
  endpoint(id: string): string {
    return `${this.prefix}:webhooks:endpoint:${id}`;
  }

  /** `<prefix>:webhooks:customer:<id>:endpoints`: the ids of the customer's endpoints. */
  customerEndpoints(customerId: string): string {
    return `${this.prefix}:webhooks:customer:${customerId}:endpoints`;
  }

  /** `<prefix>:webhooks:delivery:<id>`: one delivery (JSON), kept {@link DELIVERY_TTL_S}. */
  delivery(id: string): string {
    return `${this.prefix}:webhooks:delivery:${id}`;
  }

  /** `<prefix>:webhooks:job:<id>:deliveries`: the job's delivery ids, scored by creation ms. */
  jobDeliveries(jobId: string): string {
    return `${this.prefix}:webhooks:job:${jobId}:deliveries`;
  }
}

/** How long a delivery and its attempts stay readable (and replayable): 30 days. */
export const DELIVERY_TTL_S = 30 * 24 * 3600;

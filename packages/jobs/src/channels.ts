/** Every customer's private channel starts with this; webhooks and repair filter on it. */
export const CUSTOMER_CHANNEL_PREFIX = 'private-customer-';

/** The private Pusher channel a customer's dashboard subscribes to. */
export function customerChannel(customerId: string): string {
  return `${CUSTOMER_CHANNEL_PREFIX}${customerId}`;
}

/** The customer id a channel belongs to, or undefined for channels that are not Kiln's. */
export function customerIdFromChannel(channel: string): string | undefined {
  if (!channel.startsWith(CUSTOMER_CHANNEL_PREFIX)) return undefined;
  const id = channel.slice(CUSTOMER_CHANNEL_PREFIX.length);
  return id.length > 0 ? id : undefined;
}

/** A job's own channel (`private-job-<jobId>`), for viewers of one job. */
export const JOB_CHANNEL_PREFIX = 'private-job-';

/** The private Pusher channel of one job, which a viewer token for that job may subscribe to. */
export function jobChannel(jobId: string): string {
  return `${JOB_CHANNEL_PREFIX}${jobId}`;
}

/** The job id of a job channel, or undefined for any other channel. */
export function jobIdFromChannel(channel: string): string | undefined {
  if (!channel.startsWith(JOB_CHANNEL_PREFIX)) return undefined;
  const id = channel.slice(JOB_CHANNEL_PREFIX.length);
  return id.length > 0 ? id : undefined;
}

/** Prefixes of every channel Kiln publishes to; webhooks about any other channel are ignored. */
export const KILN_CHANNEL_PREFIXES: readonly string[] = [CUSTOMER_CHANNEL_PREFIX, JOB_CHANNEL_PREFIX];

/** Whether a channel is one of Kiln's: one of {@link KILN_CHANNEL_PREFIXES} followed by an id. */
export function isKilnChannel(channel: string): boolean {
  return KILN_CHANNEL_PREFIXES.some((prefix) => channel.length > prefix.length && channel.startsWith(prefix));
}

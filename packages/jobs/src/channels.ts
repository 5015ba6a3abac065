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

/** Customer ids end up in channel names, so they use only characters Pusher allows there. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

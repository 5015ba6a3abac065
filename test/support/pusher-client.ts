import { PusherClient as Pusher } from './pusher-js.js';

export interface ReceivedEvent {
  name: string;
  data: Record<string, unknown>;
  at: number;
}

/**
 * A pusher-js client in Node, connected with the settings `GET /v1/me` gives and authorized
 * through `POST /v1/realtime/auth`, exactly as the dashboard connects. Records every event.
 */
export async function connectCustomerClient(
  apiUrl: string,
  key: string,
): Promise<{
  channel: string;
  events: ReceivedEvent[];
  pusher: Pusher;
  subscribed: Promise<void>;
  authError: Promise<unknown>;
  disconnect(): void;
}> {
  const me = (await (await fetch(`${apiUrl}/v1/me`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
    channel: string;
    pusher: { key: string; cluster: string; wsHost: string; wsPort: number; forceTLS: boolean };
  };
  return subscribeAs(apiUrl, key, me.pusher, me.channel);
}

/** Subscribes to any channel with a customer's key (used to show a foreign channel is refused). */
export function subscribeAs(
  apiUrl: string,
  key: string,
  settings: { key: string; cluster: string; wsHost: string; wsPort: number; forceTLS: boolean },
  channelName: string,
) {
  const pusher = new Pusher(settings.key, {
    cluster: settings.cluster,
    wsHost: settings.wsHost,
    wsPort: settings.wsPort,
    forceTLS: settings.forceTLS,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      endpoint: `${apiUrl}/v1/realtime/auth`,
      transport: 'ajax',
      headers: { Authorization: `Bearer ${key}` },
    },
  });
  const channel = pusher.subscribe(channelName);
  const events: ReceivedEvent[] = [];
  channel.bind_global((name: string, data: unknown) => {
    if (!name.startsWith('pusher:')) events.push({ name, data: data as Record<string, unknown>, at: Date.now() });
  });
  const subscribed = new Promise<void>((resolve) => channel.bind('pusher:subscription_succeeded', () => resolve()));
  const authError = new Promise<unknown>((resolve) =>
    channel.bind('pusher:subscription_error', (e: unknown) => resolve(e)),
  );
  return { channel: channelName, events, pusher, subscribed, authError, disconnect: () => pusher.disconnect() };
}

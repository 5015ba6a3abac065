import PusherModule from 'pusher-js';
import { JOB_EVENT_NAMES, type JobEventName, type Me } from './api.types.js';

/** What the watcher reacts to on the customer's channel and the connection. */
export interface RealtimeHandlers {
  onJobEvent(name: JobEventName, payload: unknown): void;
  /** `sync`: the presence gate just opened; re-read the job. */
  onSync(): void;
  /** Subscribed (first time, or again after a reconnect). */
  onSubscribed(): void;
  /** The connection came back after being lost. */
  onReconnected(): void;
  /** Live updates are unavailable for now (refused subscription, lost or failed connection). */
  onUnavailable(reason: string): void;
}

/** A live connection to the customer's channel; `close()` disconnects for good. */
export interface RealtimeConnection {
  close(): void;
}

/** Signs a private-channel subscription: `POST /v1/realtime/auth` with the bearer key. */
export type ChannelAuthorizer = (
  socketId: string,
  channelName: string,
) => Promise<{ auth: string; channel_data?: string }>;

interface PusherChannel {
  bind(event: string, callback: (data: never) => void): unknown;
}
interface PusherClient {
  subscribe(channel: string): PusherChannel;
  unbind_all(): void;
  disconnect(): void;
  connection: { bind(event: string, callback: (data: never) => void): unknown };
}
type AuthCallback = (error: Error | null, data: { auth: string; channel_data?: string } | null) => void;

/**
 * pusher-js's constructor. The package is CommonJS with typings that declare an ES default export,
 * which NodeNext resolution cannot construct; at run time the default import is the class.
 */
const Pusher = PusherModule as unknown as new (key: string, options: Record<string, unknown>) => PusherClient;

/**
 * Connects pusher-js with the settings from `GET /v1/me` and subscribes to the customer's private
 * channel, authorizing through the API. Subscribing is what opens the presence gate: from then on
 * the workers publish this customer's events instead of dropping them.
 */
export function connectRealtime(me: Me, authorize: ChannelAuthorizer, handlers: RealtimeHandlers): RealtimeConnection {
  const { key, cluster, wsHost, wsPort, forceTLS } = me.pusher;
  const pusher = new Pusher(key, {
    cluster: cluster || 'mt1',
    ...(wsHost !== undefined ? { wsHost } : {}),
    // One port for both schemes: self-hosted soketi listens on a single port, TLS or not.
    ...(wsPort !== undefined ? { wsPort, wssPort: wsPort } : {}),
    forceTLS: forceTLS ?? true,
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    channelAuthorization: {
      customHandler: (params: { socketId: string; channelName: string }, callback: AuthCallback) => {
        authorize(params.socketId, params.channelName).then(
          (data) => callback(null, data),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
        );
      },
    },
  });

  // pusher-js still reports its own disconnect after close(); nothing may reach a finished watch.
  let closed = false;
  const guard =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      if (!closed) fn(...args);
    };

  let hasBeenConnected = false;
  let lostSinceConnected = false;
  pusher.connection.bind(
    'state_change',
    guard((change: { current: string }) => {
      if (change.current === 'connected') {
        const reconnected = lostSinceConnected;
        hasBeenConnected = true;
        lostSinceConnected = false;
        if (reconnected) handlers.onReconnected();
        return;
      }
      if (hasBeenConnected) lostSinceConnected = true;
      if (change.current === 'unavailable' || change.current === 'failed' || change.current === 'disconnected')
        handlers.onUnavailable(`connection ${change.current}`);
    }),
  );

  const channel = pusher.subscribe(me.channel);
  for (const name of JOB_EVENT_NAMES)
    channel.bind(
      name,
      guard((payload: unknown) => handlers.onJobEvent(name, payload)),
    );
  channel.bind(
    'sync',
    guard(() => handlers.onSync()),
  );
  channel.bind(
    'pusher:subscription_succeeded',
    guard(() => handlers.onSubscribed()),
  );
  channel.bind(
    'pusher:subscription_error',
    guard((err: { status?: number; error?: unknown }) => {
      const detail =
        typeof err?.error === 'string' ? err.error : err?.status !== undefined ? `HTTP ${err.status}` : 'unknown error';
      handlers.onUnavailable(`subscription refused: ${detail}`);
    }),
  );

  return {
    close() {
      closed = true;
      pusher.unbind_all();
      pusher.disconnect();
    },
  };
}

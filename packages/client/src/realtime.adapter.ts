import PusherModule from 'pusher-js';
import type { ChannelAuth } from './api.client.js';
import type { Me } from './api.schema.js';
import { JOB_EVENT_NAMES, QUEUE_EVENT, SYNC_EVENT, type JobEventName } from './job-events.js';

/** What a page or a program reacts to on the customer's channel and the connection; every handler is optional. */
export interface RealtimeHandlers {
  /** A `job.*` event; its payload is untrusted: read it with `jobFromEvent`. */
  onJobEvent?(name: JobEventName, payload: unknown): void;
  /**
   * `queue.updated`: where the customer's first queued jobs stand now. Its payload is untrusted:
   * read it with `queueFromEvent` and hand it to `JobStore.applyQueue`.
   */
  onQueueEvent?(payload: unknown): void;
  /** `sync`: the presence gate just opened, so events before it were dropped; re-read. */
  onSync?(payload?: unknown): void;
  /** Subscribed (first time, or again after a reconnect): re-read. */
  onSubscribed?(): void;
  /** The connection came back after being lost: re-read. */
  onReconnected?(): void;
  /** Every pusher-js connection state, and whether the connection had been up before it (to tell "connecting" from "lost"). */
  onConnectionState?(state: string, hasBeenConnected: boolean): void;
  /** Live updates are unavailable for now: the subscription was refused, or the connection is down. */
  onUnavailable?(reason: string): void;
  /** The subscription was refused (the detail pusher-js gave: the auth endpoint's error or HTTP status). */
  onSubscriptionError?(detail: string): void;
}

/** A live connection to the customer's channel; `close()` disconnects for good. */
export interface RealtimeConnection {
  close(): void;
}

/** Signs a private-channel subscription: `ApiClient.authorizeChannel`, or a call to your own backend. */
export type ChannelAuthorizer = (socketId: string, channelName: string) => Promise<ChannelAuth>;

/**
 * How the private channel is authorized: a function (the API client with its key, in Node or a
 * trusted page), or an endpoint pusher-js posts `socket_id` and `channel_name` to (your backend,
 * which calls `POST /v1/realtime/auth` with the key the browser never sees).
 */
export type ChannelAuthorization = ChannelAuthorizer | { endpoint: string; headers?: Record<string, string> };

interface PusherChannel {
  bind(event: string, callback: (data: never) => void): unknown;
}
interface PusherClient {
  subscribe(channel: string): PusherChannel;
  unbind_all(): void;
  disconnect(): void;
  connection: { bind(event: string, callback: (data: never) => void): unknown };
}
type AuthCallback = (error: Error | null, data: ChannelAuth | null) => void;

/**
 * pusher-js's constructor. The package is CommonJS with typings that declare an ES default export,
 * which NodeNext resolution cannot construct; at run time (Node or a bundler) the default import is the class.
 */
const Pusher = PusherModule as unknown as new (key: string, options: Record<string, unknown>) => PusherClient;

function channelAuthorization(auth: ChannelAuthorization): Record<string, unknown> {
  if (typeof auth !== 'function') return { endpoint: auth.endpoint, transport: 'ajax', headers: auth.headers ?? {} };
  return {
    customHandler: (params: { socketId: string; channelName: string }, callback: AuthCallback) => {
      auth(params.socketId, params.channelName).then(
        (data) => callback(null, data),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), null),
      );
    },
  };
}

function connect(me: Me, auth: ChannelAuthorization): PusherClient {
  const { key, cluster, wsHost, wsPort, forceTLS } = me.pusher;
  return new Pusher(key, {
    cluster: cluster || 'mt1',
    wsHost,
    // One port for both schemes: self-hosted soketi listens on a single port, TLS or not.
    wsPort,
    wssPort: wsPort,
    forceTLS,
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    channelAuthorization: channelAuthorization(auth),
  });
}

/**
 * Connects pusher-js with the settings from `GET /v1/me`, subscribes to the customer's private
 * channel and forwards its events and the connection's changes to `handlers`. Subscribing is what
 * opens the presence gate: from then on the workers publish this customer's events instead of
 * dropping them, and a `sync` tells the subscriber to re-read what it missed.
 */
export function connectRealtime(me: Me, auth: ChannelAuthorization, handlers: RealtimeHandlers): RealtimeConnection {
  const pusher = connect(me, auth);
  // pusher-js still reports its own disconnect after close(); nothing may reach a closed session.
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
      handlers.onConnectionState?.(change.current, hasBeenConnected);
      if (change.current === 'connected') {
        const reconnected = lostSinceConnected;
        hasBeenConnected = true;
        lostSinceConnected = false;
        if (reconnected) handlers.onReconnected?.();
        return;
      }
      if (hasBeenConnected) lostSinceConnected = true;
      if (change.current === 'unavailable' || change.current === 'failed' || change.current === 'disconnected')
        handlers.onUnavailable?.(`connection ${change.current}`);
    }),
  );

  const channel = pusher.subscribe(me.channel);
  for (const name of JOB_EVENT_NAMES)
    channel.bind(
      name,
      guard((payload: unknown) => handlers.onJobEvent?.(name, payload)),
    );
  channel.bind(
    QUEUE_EVENT,
    guard((payload: unknown) => handlers.onQueueEvent?.(payload)),
  );
  channel.bind(
    SYNC_EVENT,
    guard((payload: unknown) => handlers.onSync?.(payload)),
  );
  channel.bind(
    'pusher:subscription_succeeded',
    guard(() => handlers.onSubscribed?.()),
  );
  channel.bind(
    'pusher:subscription_error',
    guard((err: { status?: number; error?: unknown }) => {
      const detail =
        typeof err?.error === 'string' ? err.error : err?.status !== undefined ? `HTTP ${err.status}` : 'unknown error';
      handlers.onSubscriptionError?.(detail);
      handlers.onUnavailable?.(`subscription refused: ${detail}`);
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

import Pusher from 'pusher-js';
import type { Me } from './api.client.js';
import { linkStateOf, type LinkState } from './connection-state.js';
import { JOB_EVENT_NAMES, type JobEventName } from './job.types.js';

/** What the dashboard reacts to on its channel and connection. */
export interface RealtimeHandlers {
  /** The indicator state and the raw pusher-js state it came from. */
  onLinkState(state: LinkState, pusherState: string): void;
  onJobEvent(name: JobEventName, payload: unknown): void;
  /** `sync`: the gate just opened; re-read the snapshot. */
  onSync(payload: unknown): void;
  /** Subscribed (first time or again after a reconnect): re-read the snapshot. */
  onSubscribed(): void;
  /** The connection came back after being lost: re-read the snapshot. */
  onReconnected(): void;
  onSubscriptionError(message: string): void;
}

/** A live connection to the customer's channel; `close()` disconnects for good. */
export interface RealtimeConnection {
  close(): void;
}

/**
 * Connects pusher-js with the settings from `GET /v1/me`, authorizing the private channel through
 * the API with the bearer key, and forwards channel and connection events to `handlers`.
 */
export function connectRealtime(
  me: Me,
  apiBaseUrl: string,
  apiKey: string,
  handlers: RealtimeHandlers,
): RealtimeConnection {
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
      endpoint: `${apiBaseUrl.replace(/\/+$/, '')}/v1/realtime/auth`,
      transport: 'ajax',
      headers: { Authorization: `Bearer ${apiKey}` },
    },
  });

  // After close() pusher-js still reports its own disconnect; nothing may reach a closed session.
  let closed = false;
  const h: RealtimeHandlers = {
    onLinkState: unlessClosed(handlers.onLinkState.bind(handlers)),
    onJobEvent: unlessClosed(handlers.onJobEvent.bind(handlers)),
    onSync: unlessClosed(handlers.onSync.bind(handlers)),
    onSubscribed: unlessClosed(handlers.onSubscribed.bind(handlers)),
    onReconnected: unlessClosed(handlers.onReconnected.bind(handlers)),
    onSubscriptionError: unlessClosed(handlers.onSubscriptionError.bind(handlers)),
  };
  function unlessClosed<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (!closed) fn(...args);
    };
  }

  let hasBeenConnected = false;
  let lostSinceConnected = false;
  pusher.connection.bind('state_change', (change: { previous: string; current: string }) => {
    h.onLinkState(linkStateOf(change.current, hasBeenConnected), change.current);
    if (change.current === 'connected') {
      const reconnected = lostSinceConnected;
      hasBeenConnected = true;
      lostSinceConnected = false;
      if (reconnected) h.onReconnected();
    } else if (hasBeenConnected) {
      lostSinceConnected = true;
    }
  });

  const channel = pusher.subscribe(me.channel);
  for (const name of JOB_EVENT_NAMES) channel.bind(name, (payload: unknown) => h.onJobEvent(name, payload));
  channel.bind('sync', (payload: unknown) => h.onSync(payload));
  channel.bind('pusher:subscription_succeeded', () => h.onSubscribed());
  channel.bind('pusher:subscription_error', (err: { status?: number; error?: unknown }) => {
    const detail =
      typeof err?.error === 'string' ? err.error : err?.status !== undefined ? `HTTP ${err.status}` : 'unknown error';
    h.onSubscriptionError(`Could not subscribe to live updates (${detail}).`);
  });

  return {
    close() {
      closed = true;
      pusher.unbind_all();
      pusher.disconnect();
    },
  };
}

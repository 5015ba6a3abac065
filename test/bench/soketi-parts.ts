import { PusherTransport, type RealtimeMetrics } from '@kiln/realtime';
import type { startSoketi } from '@kiln/testing';
import type Pusher from 'pusher';
import { PusherClient } from '../support/pusher-js.js';

type Soketi = Awaited<ReturnType<typeof startSoketi>>;

/** The publishers' door to the bench's soketi. */
export function soketiTransport(soketi: Soketi, metrics: RealtimeMetrics): PusherTransport {
  return new PusherTransport(
    {
      appId: soketi.appId,
      key: soketi.key,
      secret: soketi.secret,
      cluster: 'mt1',
      host: '127.0.0.1',
      port: soketi.port,
      useTLS: false,
    },
    metrics,
  );
}

/** A pusher-js client of the bench's soketi whose private channels are authorized in process by `server`. */
export function authorizedClient(soketi: Soketi, server: Pusher): PusherClient {
  return new PusherClient(soketi.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: soketi.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: {
      endpoint: '/unused',
      transport: 'ajax',
      customHandler: (
        p: { socketId: string; channelName: string },
        cb: (err: Error | null, data: { auth: string }) => void,
      ) => cb(null, server.authorizeChannel(p.socketId, p.channelName)),
    },
  });
}

import { startSoketi, type SoketiHandle } from '@kiln/testing';
import Pusher from 'pusher';
import type { Me } from './api.schema.js';

/** A real soketi for a client spec, the server SDK that publishes to it, and the `/v1/me` a client of `channel` reads. */
export async function startSoketiServer(channel: string): Promise<{ soketi: SoketiHandle; server: Pusher; me: Me }> {
  const soketi = await startSoketi({});
  const server = new Pusher({
    appId: soketi.appId,
    key: soketi.key,
    secret: soketi.secret,
    host: '127.0.0.1',
    port: String(soketi.port),
    useTLS: false,
  });
  const me: Me = {
    customerId: 'acme',
    channel,
    pusher: { key: soketi.key, cluster: 'mt1', wsHost: '127.0.0.1', wsPort: soketi.port, forceTLS: false },
  };
  return { soketi, server, me };
}

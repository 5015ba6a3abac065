import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Pusher settings aimed at a closed loopback port (9, discard): an app builds and serves with them,
 * and every publish fails at once instead of leaving the machine.
 */
export const UNREACHABLE_PUSHER_ENV = {
  PUSHER_APP_ID: '1',
  PUSHER_KEY: 'pk',
  PUSHER_SECRET: 'ps',
  PUSHER_HOST: '127.0.0.1',
  PUSHER_PORT: '9',
  PUSHER_USE_TLS: 'false',
} as const;

/** Listens on a free loopback port and resolves to the server's base URL (`http://127.0.0.1:<port>`). */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

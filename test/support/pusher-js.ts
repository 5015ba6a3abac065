import PusherModule from 'pusher-js';

/** The part of a pusher-js channel the tests use. */
interface PusherChannel {
  bind(event: string, callback: (data: never) => void): unknown;
  bind_global(callback: (event: string, data: never) => void): unknown;
}

/** The part of a pusher-js client the tests use. */
export interface PusherClient {
  subscribe(channel: string): PusherChannel;
  channel(channel: string): PusherChannel | undefined;
  disconnect(): void;
  connection: { state: string; bind(event: string, callback: (data: never) => void): unknown };
}

/**
 * pusher-js's constructor. The package is CommonJS with typings that declare an ES default
 * export, which NodeNext resolution cannot construct; at run time the default import is the class.
 */
export const PusherClient = PusherModule as unknown as new (
  key: string,
  options: Record<string, unknown>,
) => PusherClient;

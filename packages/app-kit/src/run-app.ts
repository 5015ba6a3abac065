import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@kiln/logger';
import { announceReady } from './ready-signal.js';
import { installShutdown, type Shutdown } from './shutdown.js';

/** What every app's `build…(config)` returns: the server `main.ts` listens on, and its life cycle. */
export interface BuiltApp {
  server: Server;
  /** Connects what must answer before the app listens (Redis, subscriptions, background loops). */
  start(): Promise<void>;
  /** Stops accepting, drains, closes clients. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link runApp}. */
export interface RunAppOptions {
  /** The app's name, as the ready message carries it. */
  name: string;
  logger: Logger;
  port: number;
  host?: string;
  /** How long `stop()` may take before the process exits 1 anyway. */
  hardExitMs: number;
  /** The line logged once it listens (default `<name> listening`) and its fields. */
  message?: string;
  details?: Record<string, unknown>;
}

/** Listens on `port` (0 picks one) and resolves with the port it got. */
export function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closes a server: no new connections, idle keep-alive sockets at once, and after `forceAfterMs`
 * (when given) every socket still open, so browsers' pre-opened connections cannot hold it.
 */
export function closeServer(server: Server, forceAfterMs?: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = forceAfterMs === undefined ? undefined : setTimeout(() => server.closeAllConnections(), forceAfterMs);
    force?.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * What every `main.ts` does with a built app: start it, listen, log the line operators look
 * for, tell a parent process it is ready (IPC), and install the one shutdown. A failed start
 * is logged and exits 1 with the app's own message.
 */
export async function runApp(app: BuiltApp, opts: RunAppOptions): Promise<Shutdown> {
  let port: number;
  try {
    await app.start();
    port = await listen(app.server, opts.port, opts.host);
  } catch (err) {
    opts.logger.fatal({ err }, `${opts.name} could not start`);
    opts.logger.flush();
    process.exit(1);
  }
  const shutdown = installShutdown(() => app.stop(), { logger: opts.logger, hardExitMs: opts.hardExitMs });
  opts.logger.info({ port, ...opts.details }, opts.message ?? `${opts.name} listening`);
  announceReady(opts.name, port);
  return shutdown;
}

import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManagedChild } from './managed-child.js';
import { getFreePort, isPortFree, waitForHttp } from './ports.js';

export interface PusherCredentials {
  appId: string;
  key: string;
  secret: string;
}

/** Fresh Pusher app credentials for a local soketi. */
export function generatePusherCredentials(): PusherCredentials {
  return { appId: String(randomInt(100_000, 999_999)), key: randomBytes(10).toString('hex'), secret: randomBytes(20).toString('hex') };
}

export interface SoketiHandle extends PusherCredentials {
  host: string;
  port: number;
  metricsPort: number;
  pid: number | undefined;
  child: ManagedChild;
  stop(): Promise<void>;
}

/** Thrown when a port soketi needs is already taken (soketi itself would claim success). */
export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

/**
 * Starts soketi (a Pusher-protocol server) as a child on loopback. Both its ports are checked
 * first, because soketi says it started even when its port is taken; its working directory is
 * an empty temp dir, because it reads a `.env` there; it is ready when `GET /ready` says OK.
 */
export async function spawnSoketi(opts: Partial<PusherCredentials> & { port?: number; metricsPort?: number; host?: string; webhookUrl?: string; extraEnv?: Record<string, string>; tee?: NodeJS.WritableStream } = {}): Promise<SoketiHandle> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await getFreePort(host));
  const metricsPort = opts.metricsPort ?? (await getFreePort(host));
  for (const [what, p] of [
    ['soketi port', port],
    ['soketi metrics port', metricsPort],
  ] as const) {
    if (!(await isPortFree(p, host))) throw new PortTakenError(`${what} ${host}:${p} is already in use`);
  }
  const creds = { ...generatePusherCredentials(), ...Object.fromEntries(Object.entries({ appId: opts.appId, key: opts.key, secret: opts.secret }).filter(([, v]) => v)) } as PusherCredentials;
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('@soketi/soketi/package.json')), 'bin', 'server.js');
  const cwd = await mkdtemp(path.join(tmpdir(), 'kiln-soketi-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? cwd,
    SOKETI_DEFAULT_APP_ID: creds.appId,
    SOKETI_DEFAULT_APP_KEY: creds.key,
    SOKETI_DEFAULT_APP_SECRET: creds.secret,
    SOKETI_HOST: host,
    SOKETI_PORT: String(port),
    SOKETI_METRICS_SERVER_PORT: String(metricsPort),
    SOKETI_SHUTDOWN_GRACE_PERIOD: '0',
    SOKETI_EVENT_MAX_SIZE_IN_KB: '10',
    ...(opts.webhookUrl ? { SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify([{ url: opts.webhookUrl, event_types: ['channel_occupied', 'channel_vacated'] }]) } : {}),
    ...opts.extraEnv,
  };
  const child = new ManagedChild('soketi', process.execPath, [bin, 'start'], { cwd, env, ...(opts.tee ? { tee: opts.tee } : {}) });
  const stop = async () => {
    await child.stop({ graceMs: 3000 });
    await rm(cwd, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${host}:${port}/ready`, { timeoutMs: 20_000, expectBody: 'OK', isAlive: () => child.alive });
  } catch (err) {
    await stop();
    throw new Error(`soketi did not become ready: ${(err as Error).message}\n${child.output()}`);
  }
  return { ...creds, host, port, metricsPort, pid: child.pid, child, stop };
}

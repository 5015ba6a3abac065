import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PortTakenError, ProcessStartError } from './stack.errors.js';
import { ManagedChild } from './managed-child.js';
import { getFreePort, isPortFree } from './ports.js';
import { generatePusherCredentials, type PusherCredentials } from './pusher-credentials.js';
import { waitForHttp } from './wait-for.js';

/** A soketi child started by {@link spawnSoketi}, with the app it serves. */
export interface SoketiHandle extends PusherCredentials {
  host: string;
  port: number;
  metricsPort: number;
  /** The child's PID: soketi renames itself `soketi-server`, so find it by this, not by name. */
  pid: number | undefined;
  child: ManagedChild;
  /** SIGTERM (soketi sends channel_vacated for every channel), SIGKILL after 3 s. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link spawnSoketi}; credentials not given are generated. */
export interface SpawnSoketiOptions extends Partial<PusherCredentials> {
  /** Default: a free port. */
  port?: number;
  /** Default: a free port (soketi listens there even with metrics off). */
  metricsPort?: number;
  host?: string;
  /** Where its channel_occupied / channel_vacated webhooks go; no webhooks when absent. */
  webhookUrl?: string;
  /** More SOKETI_* variables (e.g. SOKETI_DEBUG=1, SOKETI_WEBHOOKS_BATCHING=true). */
  extraEnv?: Record<string, string>;
  /** Tee its output here with a `[soketi] ` prefix. */
  tee?: NodeJS.WritableStream;
  /** Run it in its own process group, so a terminal's Ctrl-C reaches only the supervisor, which stops things in order. */
  detached?: boolean;
  /** How long to wait for `GET /ready` (default 20 s). */
  startTimeoutMs?: number;
  /** Sent to it by the kernel if the supervisor dies, even by SIGKILL. */
  dieWithParent?: NodeJS.Signals;
}

/** The path of soketi's CLI entry, resolved from this package's dependencies. */
export function soketiBin(): string {
  const pkg = createRequire(import.meta.url).resolve('@soketi/soketi/package.json');
  return path.join(path.dirname(pkg), 'bin', 'server.js');
}

/**
 * Starts soketi (a Pusher-protocol server) as a child on loopback. Both of its ports are
 * checked first, because soketi reports a successful start even when its port is taken; its
 * working directory is an empty temp dir, because it reads a `.env` from there; it is ready
 * when `GET /ready` answers `OK`. Shutdown grace is 0, else SIGTERM takes ~4.6 s.
 */
export async function spawnSoketi(opts: SpawnSoketiOptions = {}): Promise<SoketiHandle> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await getFreePort(host));
  let metricsPort = opts.metricsPort ?? (await getFreePort(host));
  // Two back-to-back free-port picks can return the same port once the first is closed.
  while (opts.metricsPort === undefined && metricsPort === port) metricsPort = await getFreePort(host);
  for (const [what, p] of [
    ['soketi', port],
    ['soketi metrics', metricsPort],
  ] as const) {
    if (!(await isPortFree(p, host)))
      throw new PortTakenError(p, host, `port ${p} (${what}) on ${host} is already in use`);
  }
  const generated = generatePusherCredentials();
  const creds: PusherCredentials = {
    appId: opts.appId ?? generated.appId,
    key: opts.key ?? generated.key,
    secret: opts.secret ?? generated.secret,
  };
  const cwd = await mkdtemp(path.join(tmpdir(), 'kiln-soketi-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? cwd,
    SOKETI_DEFAULT_APP_ID: creds.appId,
    SOKETI_DEFAULT_APP_KEY: creds.key,
    SOKETI_DEFAULT_APP_SECRET: creds.secret,
    SOKETI_HOST: host,
    SOKETI_PORT: String(port),
    SOKETI_METRICS_SERVER_PORT: String(metricsPort),
    SOKETI_SHUTDOWN_GRACE_PERIOD: '0',
    SOKETI_EVENT_MAX_SIZE_IN_KB: '10',
    // soketi bundles aws-sdk v2, which prints an end-of-support notice at every start.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    ...(opts.webhookUrl
      ? {
          SOKETI_DEFAULT_APP_WEBHOOKS: JSON.stringify([
            { url: opts.webhookUrl, event_types: ['channel_occupied', 'channel_vacated'] },
          ]),
        }
      : {}),
    ...opts.extraEnv,
  };
  const child = new ManagedChild('soketi', process.execPath, [soketiBin(), 'start'], {
    cwd,
    env,
    ...(opts.detached ? { detached: true } : {}),
    ...(opts.tee ? { tee: opts.tee } : {}),
    ...(opts.dieWithParent ? { dieWithParent: opts.dieWithParent } : {}),
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await child.stop({ graceMs: 3000 });
      await rm(cwd, { recursive: true, force: true });
    })());
  try {
    await waitForHttp(`http://${host}:${port}/ready`, {
      timeoutMs: opts.startTimeoutMs ?? 20_000,
      expectBody: 'OK',
      isAlive: () => child.alive,
    });
  } catch (err) {
    await stop();
    throw new ProcessStartError(
      `soketi did not become ready on ${host}:${port}: ${(err as Error).message}`,
      child.tail(20).join('\n'),
    );
  }
  return { ...creds, host, port, metricsPort, pid: child.pid, child, stop };
}

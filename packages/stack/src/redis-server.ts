import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pWaitFor from 'p-wait-for';
import { PortTakenError, ProcessStartError, RedisServerMissingError } from './stack.errors.js';
import { ManagedChild } from './managed-child.js';
import { getFreePort, isPortFree } from './ports.js';
import { pingRedis, redisProcessId } from './redis-ping.js';

/** A `redis-server` child started by {@link spawnRedisServer}. */
export interface RedisServerHandle {
  url: string;
  host: string;
  port: number;
  child: ManagedChild;
  /** SIGTERM (Redis flushes its AOF), SIGKILL after 5 s; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link spawnRedisServer}. */
export interface SpawnRedisServerOptions {
  /** Its working and data directory (created if missing). */
  dir: string;
  /** A fixed port; default a free one (retried if another process takes it first). */
  port?: number;
  /** Turn the append-only file on (durable across restarts) or off (tests). Default off. */
  appendOnly?: boolean;
  host?: string;
  /** Tee its output here with a `[redis] ` prefix. */
  tee?: NodeJS.WritableStream;
  /** The binary to run; default `redis-server` from PATH. */
  command?: string;
  /** Run it in its own process group, so a terminal's Ctrl-C reaches only the supervisor, which stops things in order. */
  detached?: boolean;
  /** How long to wait for PONG (default 15 s; loading a big AOF can take a while). */
  startTimeoutMs?: number;
  /** Sent to it by the kernel if the supervisor dies (SIGTERM lets it flush its AOF first). */
  dieWithParent?: NodeJS.Signals;
  /** More `redis-server` arguments, after Kiln's (a test's cluster node: `--cluster-enabled yes`). */
  extraArgs?: readonly string[];
}

/** Whether `redis-server` (or `command`) is an executable file on PATH. */
export function hasRedisServer(command = 'redis-server', pathVar = process.env.PATH ?? ''): boolean {
  const candidates = command.includes('/')
    ? [command]
    : pathVar
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Starts the machine's `redis-server` as a child on loopback with its data in `dir`, and waits
 * until it answers PING. The port is picked in Node and passed explicitly, because
 * `--port 0` turns TCP off in Redis rather than picking a free port.
 */
export async function spawnRedisServer(opts: SpawnRedisServerOptions): Promise<RedisServerHandle> {
  const command = opts.command ?? 'redis-server';
  if (!hasRedisServer(command)) throw new RedisServerMissingError();
  const host = opts.host ?? '127.0.0.1';
  if (opts.port !== undefined && !(await isPortFree(opts.port, host))) {
    throw new PortTakenError(
      opts.port,
      host,
      `port ${opts.port} on ${host} is already in use: cannot start redis-server there`,
    );
  }
  await mkdir(opts.dir, { recursive: true });
  // A free port can be taken between our check and Redis binding it; only then is a retry right.
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await getFreePort(host));
    try {
      return await startOnce(command, host, port, opts);
    } catch (err) {
      const raced = err instanceof ProcessStartError && /address already in use/i.test(err.output);
      if (!raced || attempt >= attempts) throw err;
    }
  }
}

async function startOnce(
  command: string,
  host: string,
  port: number,
  opts: SpawnRedisServerOptions,
): Promise<RedisServerHandle> {
  // prettier-ignore
  const args = [
    '--port', String(port), '--bind', host, '--dir', opts.dir,
    '--appendonly', opts.appendOnly ? 'yes' : 'no', '--save', '', '--daemonize', 'no',
    // BullMQ needs noeviction: an evicted job key is a silently lost job.
    '--maxmemory-policy', 'noeviction',
    ...(opts.extraArgs ?? []),
  ];
  const child = new ManagedChild('redis', command, args, {
    cwd: opts.dir,
    ...(opts.detached ? { detached: true } : {}),
    ...(opts.tee ? { tee: opts.tee } : {}),
    ...(opts.dieWithParent ? { dieWithParent: opts.dieWithParent } : {}),
  });
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  const answers = async () => {
    if (!child.alive) {
      await child.exited;
      if (child.spawnError?.code === 'ENOENT') throw new RedisServerMissingError();
      throw new ProcessStartError(`redis-server exited at start (port ${port})`, child.tail(20).join('\n'));
    }
    // Only our own process counts: another Redis that grabbed the port would answer PONG too.
    return (await pingRedis(port, host, 300)) === '+PONG' && (await redisProcessId(port, host, 300)) === child.pid;
  };
  await pWaitFor(answers, {
    interval: 20,
    timeout: {
      milliseconds: timeoutMs,
      fallback: async () => {
        await child.stop({ graceMs: 1000 });
        throw new ProcessStartError(
          `redis-server did not answer PING on ${host}:${port} within ${timeoutMs} ms`,
          child.tail(20).join('\n'),
        );
      },
    },
  });
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    child,
    stop: async () => void (await child.stop({ graceMs: 5000 })),
  };
}

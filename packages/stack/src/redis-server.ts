import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { ManagedChild } from './managed-child.js';
import { canConnect, getFreePort } from './ports.js';

export interface RedisServerHandle {
  url: string;
  port: number;
  child: ManagedChild;
  stop(): Promise<void>;
}

/** Thrown when the machine has no `redis-server` binary. */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError';
  constructor() {
    super('redis-server not found on PATH: apt-get install redis-server, or set REDIS_URL');
  }
}

/** Whether `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the machine's `redis-server` as a child on a free port (never `--port 0`: that turns TCP
 * off) with its data in `dir`, and waits until it answers.
 */
export async function spawnRedisServer(opts: { dir: string; port?: number; appendOnly?: boolean; host?: string; tee?: NodeJS.WritableStream }): Promise<RedisServerHandle> {
  if (!hasRedisServer()) throw new RedisServerMissingError();
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await getFreePort(host));
  await mkdir(opts.dir, { recursive: true });
  const args = ['--port', String(port), '--bind', host, '--dir', opts.dir, '--save', '', '--appendonly', opts.appendOnly ? 'yes' : 'no', '--daemonize', 'no', '--maxmemory-policy', 'noeviction'];
  const child = new ManagedChild('redis', 'redis-server', args, opts.tee ? { tee: opts.tee } : {});
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port, host, 200))) {
    if (!child.alive) throw new Error(`redis-server exited at start:\n${child.output()}`);
    if (Date.now() > deadline) {
      await child.stop({ graceMs: 500 });
      throw new Error(`redis-server did not answer on ${host}:${port}:\n${child.output()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: `redis://${host}:${port}`, port, child, stop: () => child.stop({ graceMs: 3000 }) };
}

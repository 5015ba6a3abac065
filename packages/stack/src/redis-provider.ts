import path from 'node:path';
import { StackStartError } from './stack.errors.js';
import { pingRedis } from './redis-ping.js';
import { spawnRedisServer, type RedisServerHandle } from './redis-server.js';

/** Where the stack's Redis comes from, and the server when the launcher started one. */
export interface ProvidedRedis {
  url: string;
  source: 'REDIS_URL' | 'existing' | 'spawned';
  /** The spawned server's data directory. */
  dataDir: string | undefined;
  server: RedisServerHandle | undefined;
}

/** Options of {@link provideRedis}. */
export interface ProvideRedisOptions {
  /** REDIS_URL, when set: used as is. */
  url: string | undefined;
  /** Where an open Redis is looked for, and a spawned one listens. */
  port: number;
  /** `.kiln/` goes under here. */
  cwd: string;
  tee?: NodeJS.WritableStream;
  startTimeoutMs: number;
  log?: (line: string) => void;
}

/**
 * The stack's Redis (ARCHITECTURE §2): REDIS_URL when set; else an open Redis already answering
 * on 127.0.0.1:<port>; else a `redis-server` child there with AOF on and its data in
 * `.kiln/redis`, tied to the launcher (its own process group, SIGTERM if the launcher dies).
 * Something else answering on that port is an error: it is not ours to guess a password for.
 */
export async function provideRedis(opts: ProvideRedisOptions): Promise<ProvidedRedis> {
  if (opts.url) return { url: opts.url, source: 'REDIS_URL', dataDir: undefined, server: undefined };
  const reply = await pingRedis(opts.port, '127.0.0.1', 1000);
  if (reply === '+PONG')
    return { url: `redis://127.0.0.1:${opts.port}`, source: 'existing', dataDir: undefined, server: undefined };
  if (reply !== null)
    throw new StackStartError(
      `REDIS_URL: unset, and 127.0.0.1:${opts.port} answers but not as an open Redis (${JSON.stringify(reply.slice(0, 60))}); set REDIS_URL (with its password)`,
    );
  const dataDir = path.join(opts.cwd, '.kiln', 'redis');
  opts.log?.(`starting redis-server on 127.0.0.1:${opts.port} (data in ${dataDir})`);
  const server = await spawnRedisServer({
    dir: dataDir,
    port: opts.port,
    appendOnly: true,
    startTimeoutMs: opts.startTimeoutMs,
    detached: true,
    dieWithParent: 'SIGTERM',
    ...(opts.tee ? { tee: opts.tee } : {}),
  }).catch((err: Error) => {
    throw new StackStartError(`redis: ${err.message}`);
  });
  return { url: server.url, source: 'spawned', dataDir, server };
}

/** `redis://user:secret@host` → `redis://user:***@host`, for printing. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]+@/, '$1***@');
}

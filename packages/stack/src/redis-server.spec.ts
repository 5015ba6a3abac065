import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { PortTakenError, RedisServerMissingError } from './stack.errors.js';
import { isPortFree } from './ports.js';
import { pingRedis, redisProcessId } from './redis-ping.js';
import { spawnRedisServer, type RedisServerHandle } from './redis-server.js';

const dirs: string[] = [];
const servers: RedisServerHandle[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-spec-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('spawnRedisServer', () => {
  it('starts a redis-server on a free port that answers commands, and stop frees the port', async () => {
    const server = await spawnRedisServer({ dir: await tempDir() });
    servers.push(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await redisProcessId(server.port)).toBe(server.child.pid);
    const client = new Redis(server.url, { lazyConnect: true });
    await client.connect();
    await client.set('kiln-spec', 'hello');
    expect(await client.get('kiln-spec')).toBe('hello');
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
    await server.stop();
    expect(await isPortFree(server.port)).toBe(true);
    expect(await pingRedis(server.port)).toBeNull();
  });

  it('writes an append-only file in its dir when appendOnly is on', async () => {
    const dir = await tempDir();
    const server = await spawnRedisServer({ dir, appendOnly: true });
    servers.push(server);
    const client = new Redis(server.url);
    await client.set('durable', '1');
    client.disconnect();
    await server.stop();
    const entries = await readdir(dir, { recursive: true });
    expect(entries.some((e) => String(e).includes('appendonly'))).toBe(true);
  });

  it('refuses a fixed port that is taken, naming it', async () => {
    const first = await spawnRedisServer({ dir: await tempDir() });
    servers.push(first);
    const attempt = spawnRedisServer({ dir: await tempDir(), port: first.port });
    await expect(attempt).rejects.toBeInstanceOf(PortTakenError);
    await expect(attempt).rejects.toThrow(String(first.port));
  });

  it('says how to get Redis when the binary is missing', async () => {
    const dir = await tempDir();
    const attempt = spawnRedisServer({ dir, command: 'kiln-no-such-redis-server' });
    await expect(attempt).rejects.toBeInstanceOf(RedisServerMissingError);
    await expect(attempt).rejects.toThrow(
      'redis-server not found on PATH: apt-get install redis-server or set REDIS_URL',
    );
    expect(existsSync(dir)).toBe(true);
  });
});

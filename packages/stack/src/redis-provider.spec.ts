import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getFreePort } from './ports.js';
import { pingRedis } from './redis-ping.js';
import { spawnRedisServer } from './redis-server.js';
import { maskRedisUrl, provideRedis } from './redis-provider.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'kiln-redis-provider-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('provideRedis', () => {
  it('uses REDIS_URL as it is', async () => {
    const redis = await provideRedis({ url: 'redis://elsewhere:6379', port: 1, cwd, startTimeoutMs: 1000 });
    expect(redis).toEqual({
      url: 'redis://elsewhere:6379',
      source: 'REDIS_URL',
      dataDir: undefined,
      server: undefined,
    });
  });

  it('uses an open Redis already answering on the port', async () => {
    const running = await spawnRedisServer({ dir: path.join(cwd, 'other') });
    try {
      const redis = await provideRedis({ url: undefined, port: running.port, cwd, startTimeoutMs: 1000 });
      expect(redis.source).toBe('existing');
      expect(redis.url).toBe(`redis://127.0.0.1:${running.port}`);
    } finally {
      await running.stop();
    }
  });

  it('starts redis-server with its data under .kiln/redis when nothing answers', async () => {
    const port = await getFreePort();
    const redis = await provideRedis({ url: undefined, port, cwd, startTimeoutMs: 10_000 });
    try {
      expect(redis.source).toBe('spawned');
      expect(redis.dataDir).toBe(path.join(cwd, '.kiln', 'redis'));
      expect(await pingRedis(port)).toBe('+PONG');
    } finally {
      await redis.server?.stop();
    }
  });

  it('refuses a port where something else answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await expect(provideRedis({ url: undefined, port, cwd, startTimeoutMs: 1000 })).rejects.toThrow(
        /^REDIS_URL: unset, and 127\.0\.0\.1:\d+ answers but not as an open Redis/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('maskRedisUrl', () => {
  it('hides a password only', () => {
    expect(maskRedisUrl('redis://:pw@host:6379')).toBe('redis://:***@host:6379');
    expect(maskRedisUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});

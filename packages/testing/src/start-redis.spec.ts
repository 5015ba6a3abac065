import { existsSync } from 'node:fs';
import { isPortFree } from '@kiln/stack';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedis } from './start-redis.js';

describe('startRedis', () => {
  it('uses REDIS_URL as is when set, and its stop leaves it running', async () => {
    const handle = await startRedis({ env: { REDIS_URL: 'redis://127.0.0.1:6379/0' } });
    expect(handle).toMatchObject({ url: 'redis://127.0.0.1:6379/0', source: 'env' });
    await handle.stop();
  });

  it('without REDIS_URL or Docker, quickly spawns a redis-server that answers PING, and stop frees its port', async () => {
    if (existsSync('/var/run/docker.sock'))
      throw new Error('this machine has a Docker socket: this case is about the fallback without one');
    const started = Date.now();
    const handle = await startRedis({ env: {} });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(handle.source).toBe('process');
    const port = Number(new URL(handle.url).port);
    const client = new Redis(handle.url);
    try {
      expect(await client.ping()).toBe('PONG');
      await client.set('kiln-testing', 'ok');
      expect(await client.get('kiln-testing')).toBe('ok');
    } finally {
      client.disconnect();
    }
    await handle.stop();
    await handle.stop(); // idempotent
    expect(await isPortFree(port)).toBe(true);
  });
});

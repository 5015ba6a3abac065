import { getFreePort, startRedis, type RedisHandle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestRedisConnection, isRedisUnavailableError, redisReady } from './redis-connection.js';

describe('createRequestRedisConnection', () => {
  let server: RedisHandle;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('works once ready, and fails a command at once (a Redis-unavailable error) when nothing listens', async () => {
    const up = createRequestRedisConnection(server.url, { commandTimeoutMs: 500 });
    await redisReady(up);
    expect(await up.ping()).toBe('PONG');
    up.disconnect();

    const down = createRequestRedisConnection(`redis://127.0.0.1:${await getFreePort()}`, { commandTimeoutMs: 500 });
    down.on('error', () => undefined);
    const t0 = performance.now();
    const err = await down.get('k').catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(isRedisUnavailableError(err)).toBe(true);
    down.disconnect();
  });

  it('tells Redis being away from Redis refusing a command', async () => {
    const conn = createRequestRedisConnection(server.url, { commandTimeoutMs: 500 });
    await redisReady(conn);
    const refused = await conn.call('NOSUCHCOMMAND').catch((e: unknown) => e);
    expect(isRedisUnavailableError(refused)).toBe(false);
    expect(isRedisUnavailableError(new Error('Command timed out'))).toBe(true);
    expect(isRedisUnavailableError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isRedisUnavailableError('Command timed out')).toBe(false);
    conn.disconnect();
  });
});

import { randomUUID } from 'node:crypto';
import { useRedis, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { GatedPublisher } from './gated-publisher.js';
import { OccupancyMirror } from './occupancy-mirror.js';
import { RealtimeMetrics } from './realtime-metrics.js';
import { Registry } from 'prom-client';
import { OccupancyRepository } from './occupancy.repository.js';

describe('OccupancyMirror', () => {
  const db = useRedis();

  /** Counts the commands a connection sends, to show that decisions cost none. */
  function countingConnection(): { conn: Redis; commands: string[] } {
    const conn = new Redis(db.url);
    const commands: string[] = [];
    const original = conn.sendCommand.bind(conn);
    conn.sendCommand = ((cmd: { name: string }) => {
      commands.push(cmd.name);
      return original(cmd as never);
    }) as typeof conn.sendCommand;
    return { conn, commands };
  }

  it('answers from memory once in sync, with no Redis command per decision', async () => {
    const prefix = `test-${randomUUID()}`;
    const writer = new OccupancyRepository(db.redis, prefix);
    await writer.apply({ name: 'channel_occupied', channel: 'c1', timeMs: 1 });
    const { conn, commands } = countingConnection();
    const mirror = new OccupancyMirror({
      repo: new OccupancyRepository(conn, prefix),
      subscriber: new Redis(db.url),
      logger: pino({ level: 'silent' }),
    });
    await mirror.start();
    expect(mirror.isTrusted).toBe(true);
    const before = commands.length;
    for (let i = 0; i < 1000; i++) await mirror.isOccupied(i % 2 ? 'c1' : 'c2');
    expect(commands.length - before).toBe(0);
    expect(await mirror.isOccupied('c1')).toBe(true);
    expect(await mirror.isOccupied('c2')).toBe(false);

    // Changes made by the webhooks app arrive through pub/sub.
    await writer.apply({ name: 'channel_occupied', channel: 'c2', timeMs: 2 });
    await writer.apply({ name: 'channel_vacated', channel: 'c1', timeMs: 3 });
    await waitFor(async () => (await mirror.isOccupied('c2')) && !(await mirror.isOccupied('c1')), {
      timeoutMs: 2000,
      message: 'mirror to follow changes',
    });
    await mirror.stop();
    await conn.quit();
  });

  it('lets a steady stream of gated events through the publisher without a single Redis command', async () => {
    const prefix = `test-${randomUUID()}`;
    const { conn, commands } = countingConnection();
    const mirror = new OccupancyMirror({
      repo: new OccupancyRepository(conn, prefix),
      subscriber: new Redis(db.url),
      logger: pino({ level: 'silent' }),
    });
    await mirror.start();
    const sent: unknown[] = [];
    const metrics = new RealtimeMetrics(new Registry());
    const publisher = new GatedPublisher({
      gate: mirror,
      sink: { triggerBatch: async (e) => void sent.push(...e) },
      metrics,
      logger: pino({ level: 'silent' }),
    });
    const before = commands.length;
    const outcomes = await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        publisher.publish(
          `private-customer-c${i % 50}`,
          i % 10 ? 'job.progress' : 'job.completed',
          { seq: i },
          { key: `j${i % 200}`, kind: i % 10 ? 'progress' : 'state' },
        ),
      ),
    );
    expect(commands.length - before).toBe(0);
    expect(sent).toHaveLength(0);
    expect(outcomes.every((o) => o === 'gated' || o === 'coalesced')).toBe(true);
    await mirror.stop();
    await conn.quit();
  });

  it('falls back to SISMEMBER while its subscription is down, and re-syncs after', async () => {
    const prefix = `test-${randomUUID()}`;
    const writer = new OccupancyRepository(db.redis, prefix);
    const subscriber = new Redis(db.url);
    const mirror = new OccupancyMirror({
      repo: new OccupancyRepository(db.redis, prefix),
      subscriber,
      logger: pino({ level: 'silent' }),
    });
    await mirror.start();
    // Cut the subscriber's connection from the server side; ioredis reconnects by itself.
    const clients = (await db.redis.client('LIST')) as string;
    const subLine = clients.split('\n').find((l) => l.includes('cmd=subscribe') || l.includes('sub=1'));
    expect(subLine).toBeTruthy();
    const subId = /id=(\d+)/.exec(subLine!)![1]!;
    await db.redis.client('KILL', 'ID', subId);
    await waitFor(() => !mirror.isTrusted, { timeoutMs: 2000, message: 'mirror to notice the lost subscription' });
    // A change made while the mirror is blind is still seen, via SISMEMBER.
    await writer.apply({ name: 'channel_occupied', channel: 'late', timeMs: 5 });
    expect(await mirror.isOccupied('late')).toBe(true);
    await waitFor(() => mirror.isTrusted, { timeoutMs: 5000, message: 'mirror to re-sync' });
    expect(await mirror.isOccupied('late')).toBe(true);
    expect(mirror.decisions.redis).toBeGreaterThan(0);
    await mirror.stop();
  });
});

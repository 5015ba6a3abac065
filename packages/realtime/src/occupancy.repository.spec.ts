import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { OccupancyRepository, type OccupancyEvent } from './occupancy.repository.js';

describe('OccupancyRepository', () => {
  const db = useRedis();
  const fresh = () => new OccupancyRepository(db.redis, `test-${randomUUID()}`);
  const ev = (name: OccupancyEvent['name'], channel: string, timeMs: number): OccupancyEvent => ({
    name,
    channel,
    timeMs,
  });

  it('adds on occupied and removes on vacated', async () => {
    const repo = fresh();
    expect(await repo.apply(ev('channel_occupied', 'private-customer-a', 100))).toBe('applied');
    expect(await repo.isOccupied('private-customer-a')).toBe(true);
    expect(await repo.apply(ev('channel_vacated', 'private-customer-a', 200))).toBe('applied');
    expect(await repo.isOccupied('private-customer-a')).toBe(false);
  });

  it('ignores a late vacated that is older than the occupied already applied', async () => {
    const repo = fresh();
    await repo.apply(ev('channel_occupied', 'c', 300));
    expect(await repo.apply(ev('channel_vacated', 'c', 200))).toBe('stale');
    expect(await repo.members()).toEqual(['c']);
  });

  it('counts the same event twice as a duplicate', async () => {
    const repo = fresh();
    await repo.apply(ev('channel_occupied', 'c', 300));
    expect(await repo.apply(ev('channel_occupied', 'c', 300))).toBe('duplicate');
  });

  it('publishes every applied change for mirrors', async () => {
    const repo = fresh();
    const sub = new Redis(db.url);
    const got: string[] = [];
    await sub.subscribe(repo.changesChannel);
    sub.on('message', (_c, m) => got.push(m));
    await repo.apply(ev('channel_occupied', 'c', 1));
    await repo.apply(ev('channel_occupied', 'c', 1));
    await repo.apply(ev('channel_vacated', 'c', 2));
    await new Promise((r) => setTimeout(r, 50));
    await sub.quit();
    expect(got).toEqual(['occupied c', 'vacated c']);
  });

  it('keeps per-channel records only for a while', async () => {
    const repo = new OccupancyRepository(db.redis, `test-${randomUUID()}`, 60);
    await repo.apply(ev('channel_occupied', 'c', 1));
    const keys = await db.redis.keys(`${repo.setKey.replace(':channels', '')}:last:*`);
    expect(keys).toHaveLength(1);
    const ttl = await db.redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('ends in the state the newest events say, whatever the delivery order, delays and duplicates (property)', async () => {
    const channels = ['private-customer-a', 'private-customer-b', 'private-customer-c'];
    // A true history: per channel, alternating occupied/vacated at strictly increasing times.
    const history = fc.array(
      fc.tuple(fc.integer({ min: 0, max: channels.length - 1 }), fc.integer({ min: 1, max: 1000 })),
      { minLength: 1, maxLength: 25 },
    );
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (steps, order, dupes) => {
          const repo = fresh();
          const occupied = new Map<string, boolean>();
          let clock = 0;
          const events: OccupancyEvent[] = [];
          for (const [c, gap] of steps) {
            const channel = channels[c]!;
            clock += gap;
            const now = !occupied.get(channel);
            occupied.set(channel, now);
            events.push(ev(now ? 'channel_occupied' : 'channel_vacated', channel, clock));
          }
          const deliveries = [...events, ...dupes.map((d) => events[d % events.length]!)];
          // Shuffle deterministically from the generated stream (arbitrary delays = any order).
          const it = order[Symbol.iterator]();
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
          }
          for (const d of deliveries) await repo.apply(d);
          const expected = channels.filter((c) => occupied.get(c)).sort();
          expect((await repo.members()).sort()).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

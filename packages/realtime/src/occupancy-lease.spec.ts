import { randomUUID } from 'node:crypto';
import { useRedis, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { OccupancyMirror } from './occupancy-mirror.js';
import { OccupancyReconciler } from './occupancy-reconciler.js';
import { OccupancyRepository, type OccupancyEvent } from './occupancy.repository.js';

const CH = 'private-job-0f8fad5b-d9cb-469f-a165-70867728950e';
const ev = (name: OccupancyEvent['name'], timeMs: number, channel = CH): OccupancyEvent => ({ name, channel, timeMs });

describe('authorization leases', () => {
  const db = useRedis();
  const silent = pino({ level: 'silent' });

  async function setup() {
    const prefix = `test-${randomUUID()}`;
    const repo = new OccupancyRepository(db.redis, prefix);
    const mirror = new OccupancyMirror({ repo, subscriber: new Redis(db.url), logger: silent });
    await mirror.start();
    return { repo, mirror, stop: () => mirror.stop() };
  }

  it('opens the gate at once on a lease, from memory, and the occupied webhook confirms it', async () => {
    const { repo, mirror, stop } = await setup();
    const now = Date.now();
    await repo.lease(CH, 60_000, now);
    await waitFor(() => mirror.peek(CH) === true, { timeoutMs: 5000, message: 'mirror to see the lease' });
    expect(await repo.isOccupied(CH)).toBe(true);
    expect(await repo.apply(ev('channel_occupied', now + 50))).toBe('applied');
    expect((await repo.snapshot()).leases.size).toBe(0);
    expect(await repo.members()).toEqual([CH]);
    expect(mirror.peek(CH)).toBe(true);
    await stop();
  });

  it('keeps a lease through a vacate older than it (a reload), and closes it on a newer one', async () => {
    const { repo, mirror, stop } = await setup();
    const now = Date.now();
    await repo.apply(ev('channel_occupied', now - 5000));
    await repo.lease(CH, 60_000, now);
    // The old page's vacate, delivered after the new page authorized.
    expect(await repo.apply(ev('channel_vacated', now - 100))).toBe('applied');
    expect(await repo.isOccupied(CH)).toBe(true);
    await waitFor(() => mirror.peek(CH) === true && mirror.occupiedWithPrefix('private-job-')?.length === 1, {
      timeoutMs: 5000,
      message: 'mirror to keep the lease after the older vacate',
    });
    // The new page left too.
    expect(await repo.apply(ev('channel_vacated', now + 100))).toBe('applied');
    expect(await repo.isOccupied(CH)).toBe(false);
    await waitFor(() => mirror.peek(CH) === false, { timeoutMs: 5000, message: 'mirror to close the gate' });
    await stop();
  });

  it('ends by itself when nothing confirms it', async () => {
    const { repo, mirror, stop } = await setup();
    const now = Date.now();
    expect(await repo.lease(CH, 400, now)).toBe(now + 400);
    await waitFor(async () => !(await repo.isOccupied(CH)), { timeoutMs: 5000, message: 'lease to end' });
    expect(mirror.peek(CH)).toBe(false);
    await stop();
  });

  it('is confirmed by a repair that finds the channel live, closed by one that does not', async () => {
    const { repo, stop } = await setup();
    const other = 'private-customer-acme';
    const readAt = Date.now();
    await repo.lease(CH, 60_000, readAt - 1000);
    await repo.lease(other, 60_000, readAt - 1000);
    const reconciler = new OccupancyReconciler({
      lister: { occupiedChannels: async (prefix) => (prefix === 'private-job-' ? [CH] : []) },
      repo,
      apply: (events) => Promise.all(events.map((e) => repo.apply(e))),
      prefixes: ['private-customer-', 'private-job-'],
      logger: silent,
      now: () => readAt,
    });
    expect(await reconciler.reconcileOnce()).toEqual({ opened: [CH], closed: [other] });
    expect(await repo.members()).toEqual([CH]);
    expect(await repo.isOccupied(other)).toBe(false);
    await stop();
  });

  it('survives a repair that read Pusher before the authorization', async () => {
    const { repo, stop } = await setup();
    const readAt = Date.now();
    await repo.lease(CH, 60_000, readAt + 10);
    const reconciler = new OccupancyReconciler({
      lister: { occupiedChannels: async () => [] },
      repo,
      apply: (events) => Promise.all(events.map((e) => repo.apply(e))),
      prefixes: ['private-job-'],
      logger: silent,
      now: () => readAt,
    });
    await reconciler.reconcileOnce();
    expect(await repo.isOccupied(CH)).toBe(true);
    await stop();
  });
});

import { randomUUID } from 'node:crypto';
import { createLogger } from '@kiln/logger';
import { GatedPublisher, OccupancyRepository, RealtimeMetrics, RedisOccupancyGate } from '@kiln/realtime';
import { useRedis, waitFor } from '@kiln/testing';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OccupancyMetrics } from './occupancy-metrics.js';
import { OccupancyService } from './occupancy.service.js';

const CH = 'private-customer-acme';

describe('OccupancyService', () => {
  const db = useRedis();
  /** Every test's publishers: their `sync` events are gated through Redis, which must not close under them. */
  const publishers: GatedPublisher[] = [];
  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.flush()));
  });

  /** A service on a fresh prefix whose `sync` events are recorded instead of sent. */
  function setup(vacatedDelayMs: number) {
    const occupancy = new OccupancyRepository(db.redis, `test-${randomUUID()}`);
    const registry = new Registry();
    const synced: string[] = [];
    const publisher = new GatedPublisher({
      gate: new RedisOccupancyGate(occupancy),
      sink: { triggerBatch: async (events) => void synced.push(...events.map((e) => e.channel)) },
      metrics: new RealtimeMetrics(registry),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    publishers.push(publisher);
    const service = new OccupancyService({
      occupancy,
      publisher,
      metrics: new OccupancyMetrics(registry),
      logger: createLogger({ name: 'test', level: 'silent' }),
      vacatedDelayMs,
    });
    return { occupancy, service, synced };
  }

  it('does not close a channel re-occupied within the vacated delay (a page reload)', async () => {
    const { occupancy, service } = setup(60_000);
    const t = Date.now();
    await service.applyAll([{ name: 'channel_occupied', channel: CH, timeMs: t - 2000 }]);
    expect(await service.applyAll([{ name: 'channel_vacated', channel: CH, timeMs: t - 1000 }])).toEqual(['deferred']);
    expect(await occupancy.isOccupied(CH)).toBe(true);
    await service.applyAll([{ name: 'channel_occupied', channel: CH, timeMs: t }]);
    // Applying the waiting vacate now (as shutdown does) finds the newer occupation: stale.
    await service.flushDeferred();
    expect(await occupancy.isOccupied(CH)).toBe(true);
  });

  it('closes a channel once the vacated delay has passed with no re-occupation', async () => {
    const { occupancy, service } = setup(200);
    const t = Date.now();
    await service.applyAll([{ name: 'channel_occupied', channel: CH, timeMs: t - 2000 }]);
    await service.applyAll([{ name: 'channel_vacated', channel: CH, timeMs: t - 1000 }]);
    await waitFor(async () => !(await occupancy.isOccupied(CH)), { timeoutMs: 10_000, message: 'vacate to apply' });
  });

  it('applies vacates at once with no delay set, and repairs never wait', async () => {
    const { occupancy, service } = setup(0);
    const t = Date.now();
    await service.applyAll([{ name: 'channel_occupied', channel: CH, timeMs: t - 2000 }]);
    expect(await service.applyAll([{ name: 'channel_vacated', channel: CH, timeMs: t - 1000 }])).toEqual(['applied']);
    const delayed = setup(60_000);
    await delayed.service.applyAll([{ name: 'channel_occupied', channel: CH, timeMs: t - 2000 }]);
    const repaired = await delayed.service.applyAll([{ name: 'channel_vacated', channel: CH, timeMs: t }], 'repair');
    expect(repaired).toEqual(['applied']);
    expect(await occupancy.isOccupied(CH)).toBe(false);
    expect(await delayed.occupancy.isOccupied(CH)).toBe(false);
  });
});

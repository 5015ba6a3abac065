import { randomUUID } from 'node:crypto';
import { createLogger } from '@kiln/logger';
import { FleetRepository, type OnlineWorker, type QueueDepthSource } from '@kiln/scheduler';
import { useRedis } from '@kiln/testing';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FleetMetrics } from './fleet-metrics.js';

const logger = createLogger({ name: 'fleet-metrics-spec', level: 'silent' });
const db = useRedis();

type Depth = Awaited<ReturnType<QueueDepthSource['byPriority']>>;

/** Plain in-memory figures the test changes between scrapes; `fail` makes the next reads throw. */
class Figures {
  workers: Pick<OnlineWorker, 'pools' | 'concurrency'>[] = [];
  depth: Depth = [];
  fail = false;
  async online(): Promise<OnlineWorker[]> {
    if (this.fail) throw new Error('Connection is closed.');
    return this.workers as OnlineWorker[];
  }
  async byPriority(): Promise<Depth> {
    if (this.fail) throw new Error('Connection is closed.');
    return this.depth;
  }
}

/** Every sample of the fleet gauges in one scrape, as `name{labels} value` lines. */
async function scrape(registry: Registry): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => /^kiln_(queue|workers|encode)/.test(l));
}

describe('FleetMetrics', () => {
  it('reads queue depth, oldest wait, workers and slots per pool on each scrape', async () => {
    const registry = new Registry();
    const figures = new Figures();
    new FleetMetrics(registry, { fleet: figures, queue: figures, logger });
    figures.workers = [
      { pools: ['cpu'], concurrency: 2 },
      { pools: ['cpu', 'gpu'], concurrency: 1 },
    ];
    figures.depth = [
      { priority: 'high', waiting: 3, oldestWaitSeconds: 41.5 },
      { priority: 'low', waiting: 0, oldestWaitSeconds: null },
    ];
    expect((await scrape(registry)).sort()).toEqual(
      [
        'kiln_queue_depth{priority="high"} 3',
        'kiln_queue_depth{priority="normal"} 0',
        'kiln_queue_depth{priority="low"} 0',
        'kiln_queue_oldest_wait_seconds{priority="high"} 41.5',
        'kiln_queue_oldest_wait_seconds{priority="normal"} 0',
        'kiln_queue_oldest_wait_seconds{priority="low"} 0',
        'kiln_workers_online 2',
        'kiln_encode_slots_online{pool="cpu"} 3',
        'kiln_encode_slots_online{pool="gpu"} 1',
      ].sort(),
    );

    // The gpu worker died: its pool stays listed at 0; the queue drained.
    figures.workers = [{ pools: ['cpu'], concurrency: 2 }];
    figures.depth = [];
    const second = await scrape(registry);
    expect(second).toContain('kiln_encode_slots_online{pool="gpu"} 0');
    expect(second).toContain('kiln_encode_slots_online{pool="cpu"} 2');
    expect(second).toContain('kiln_workers_online 1');
    expect(second).toContain('kiln_queue_depth{priority="high"} 0');
  });

  it('keeps the last values when reading the fleet fails, and recovers', async () => {
    const registry = new Registry();
    const figures = new Figures();
    new FleetMetrics(registry, { fleet: figures, queue: figures, logger });
    figures.workers = [{ pools: ['cpu'], concurrency: 4 }];
    figures.depth = [{ priority: 'normal', waiting: 7, oldestWaitSeconds: 3 }];
    const before = await scrape(registry);
    figures.fail = true;
    figures.workers = [];
    expect(await scrape(registry)).toEqual(before);
    figures.fail = false;
    expect(await scrape(registry)).toContain('kiln_workers_online 0');
  });

  it('answers a scrape within its timeout while Redis does not answer at all', async () => {
    // The worker's kind of connection to nothing: commands wait for a Redis that never comes.
    const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, lazyConnect: true });
    dead.on('error', () => undefined);
    const registry = new Registry();
    const fleet = new FleetRepository(dead, `test-${randomUUID()}`);
    const queue: QueueDepthSource = { byPriority: async () => [], byCustomer: async () => [] };
    new FleetMetrics(registry, { fleet, queue, logger, timeoutMs: 300 });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE kiln_workers_online gauge');
    expect(text).toContain('kiln_workers_online 0');
    dead.disconnect();
  });

  it('reads the real registry on Redis', async () => {
    const registry = new Registry();
    const fleet = new FleetRepository(db.redis, `test-${randomUUID()}`);
    await fleet.heartbeat({
      id: 'w1',
      host: 'h',
      pid: 1,
      pools: ['cpu'],
      concurrency: 3,
      prefetch: 0,
      startedAt: new Date().toISOString(),
      jobs: [],
    });
    new FleetMetrics(registry, { fleet, queue: new Figures(), logger });
    const samples = await scrape(registry);
    expect(samples).toContain('kiln_workers_online 1');
    expect(samples).toContain('kiln_encode_slots_online{pool="cpu"} 3');
  });
});

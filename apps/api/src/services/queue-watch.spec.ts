import { randomUUID } from 'node:crypto';
import { QUEUE_EVENT, queueEventPayloadSchema, type QueueEventPayload } from '@kiln/jobs';
import { GatedPublisher, RealtimeMetrics, type BatchSink, type OutgoingEvent } from '@kiln/realtime';
import { FairQueue, FleetRepository, QueueView } from '@kiln/scheduler';
import { countRedisCommands, useRedis, waitFor } from '@kiln/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { QueueWatch } from './queue-watch.js';

/** Pusher's limit on one event's data. */
const MAX_EVENT_BYTES = 10 * 1024;

describe('QueueWatch', () => {
  const db = useRedis();
  const silent = pino({ level: 'silent' });

  async function setup() {
    const prefix = `test-${randomUUID()}`;
    const line = new FairQueue(db.redis, prefix);
    const fleet = new FleetRepository(db.redis, prefix);
    await fleet.heartbeat({
      id: 'w1',
      host: 'h',
      pid: 1,
      pools: ['cpu'],
      concurrency: 2,
      prefetch: 0,
      startedAt: new Date().toISOString(),
      jobs: [],
    });
    const sent: OutgoingEvent[] = [];
    const sink: BatchSink = { triggerBatch: async (batch) => void sent.push(...batch) };
    // Only acme's channel is watched (and globex's, in a test that needs it).
    const watched = new Set(['private-customer-acme']);
    const gate = {
      isOccupied: async (channel: string) => watched.has(channel),
      occupiedWithPrefix: (prefix: string) => [...watched].filter((c) => c.startsWith(prefix)),
    };
    const publisher = new GatedPublisher({ gate, sink, metrics: new RealtimeMetrics(new Registry()), logger: silent });
    const watch = () =>
      new QueueWatch({
        redis: db.redis,
        line,
        view: new QueueView({ line, fleet }),
        gate,
        publisher,
        logger: silent,
        intervalMs: 200,
      });
    const enqueue = (customerId: string, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          line.enqueue({ jobId: `${customerId}-${i}`, customerId, pool: 'cpu', priority: 'normal', runningCap: 0 }),
        ),
      );
    return { line, sent, publisher, watch, enqueue, watched };
  }

  it("sends a watched customer's places, under 10 KB however long its queue, and nothing to an unwatched one", async () => {
    const { sent, publisher, watch, enqueue } = await setup();
    await enqueue('acme', 400);
    await enqueue('globex', 3);
    expect(await watch().tick()).toBe(1);
    await publisher.flush();
    expect(sent.map((e) => [e.channel, e.name])).toEqual([['private-customer-acme', QUEUE_EVENT]]);
    const data = sent[0]!.data as string;
    expect(Buffer.byteLength(data)).toBeLessThan(MAX_EVENT_BYTES);
    const payload: QueueEventPayload = queueEventPayloadSchema.parse(JSON.parse(data));
    expect(payload.jobs).toHaveLength(50);
    const positions = payload.jobs.map((j) => j.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // acme and globex alternate while globex has jobs: acme's first three are at 1, 3 and 5.
    expect(positions.slice(0, 5)).toEqual([1, 3, 5, 7, 8]);
  });

  it('sends again only when the line changed, and one API process per interval', async () => {
    const { line, sent, publisher, watch, enqueue } = await setup();
    await enqueue('acme', 5);
    const first = watch();
    expect(await first.tick()).toBe(1);
    expect(await first.tick()).toBe(0);
    await line.take('cpu', 1);
    await waitFor(async () => (await db.redis.exists(`${line.keyPrefix}:queue-watch`)) === 0, { timeoutMs: 5_000 });
    // Two API processes look at once: the interval's lock lets one of them send.
    const [a, b] = await Promise.all([watch().tick(), watch().tick()]);
    expect(a + b).toBe(1);
    await publisher.flush();
    await waitFor(async () => sent.length === 2, { timeoutMs: 5_000 });
    const last = queueEventPayloadSchema.parse(JSON.parse(sent[1]!.data as string));
    expect(last.jobs.map((j) => j.position)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('QueueWatch with nobody watching', () => {
  const db = useRedis();

  it('costs no Redis command at all', async () => {
    const prefix = `test-${randomUUID()}`;
    const line = new FairQueue(db.redis, prefix);
    await line.enqueue({ jobId: 'j1', customerId: 'acme', pool: 'cpu', priority: 'normal', runningCap: 0 });
    const silent = pino({ level: 'silent' });
    const gate = { isOccupied: async () => false, occupiedWithPrefix: () => [] };
    const watch = new QueueWatch({
      redis: db.redis,
      line,
      view: new QueueView({ line, fleet: new FleetRepository(db.redis, prefix) }),
      gate,
      publisher: new GatedPublisher({
        gate,
        sink: { triggerBatch: async () => undefined },
        metrics: new RealtimeMetrics(new Registry()),
        logger: silent,
      }),
      logger: silent,
      intervalMs: 200,
    });
    let sent: number | undefined;
    const counted = await countRedisCommands(db.redis, async () => {
      sent = await watch.tick();
    });
    expect(sent).toBe(0);
    expect(counted.total).toBe(0);
  });
});

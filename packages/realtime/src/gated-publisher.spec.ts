import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Job } from '@kiln/jobs';
import { GatedPublisher, type BatchSink } from './gated-publisher.js';
import { JobAnnouncer } from './job-announcer.js';
import type { OccupancyGate } from './occupancy-gate.js';
import type { OutgoingEvent } from './pusher-transport.js';
import { PusherApiError } from './realtime.errors.js';
import { RealtimeMetrics } from './realtime-metrics.js';

/** An in-memory sink standing in for Pusher: records every batch, can fail on demand. */
class RecordingSink implements BatchSink {
  batches: OutgoingEvent[][] = [];
  failures: Error[] = [];
  async triggerBatch(events: OutgoingEvent[]): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push(events);
  }
  get events() {
    return this.batches.flat().map((e) => ({
      channel: e.channel,
      name: e.name,
      data: JSON.parse(e.data as string) as { seq: number; job: string },
    }));
  }
}

class SetGate implements OccupancyGate {
  constructor(
    readonly open = new Set<string>(),
    public broken = false,
  ) {}
  async isOccupied(channel: string): Promise<boolean> {
    if (this.broken) throw new Error('redis down');
    return this.open.has(channel);
  }
}

function setup(open: string[] = ['a', 'b'], progressIntervalMs = 1000) {
  const registry = new Registry();
  const metrics = new RealtimeMetrics(registry);
  const sink = new RecordingSink();
  const gate = new SetGate(new Set(open));
  const publisher = new GatedPublisher({
    gate,
    sink,
    metrics,
    logger: pino({ level: 'silent' }),
    progressIntervalMs,
    retryBaseMs: 1,
  });
  const count = async (outcome: string) =>
    (await metrics.events.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { publisher, sink, gate, metrics, count };
}

const sampleJob: Job = {
  id: 'job-1',
  customerId: 'acme',
  status: 'completed',
  priority: 'normal',
  pool: 'cpu',
  input: 'file:///in.mp4',
  metadata: {},
  progress: { percent: 100, fps: null, speed: null, etaSeconds: 0 },
  outputs: [],
  error: null,
  attempts: 1,
  seq: 1,
  createdAt: '2026-11-28T00:00:00.000Z',
  updatedAt: '2026-11-28T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
};

describe('GatedPublisher', () => {
  it('sends nothing for channels nobody watches and counts them as gated', async () => {
    const { publisher, sink, count } = setup(['a']);
    expect(await publisher.publish('z', 'job.created', { seq: 1 })).toBe('gated');
    expect(await publisher.publish('a', 'job.created', { seq: 1 })).toBe('published');
    expect(sink.batches).toHaveLength(1);
    expect(await count('gated')).toBe(1);
    expect(await count('published')).toBe(1);
  });

  it('batches at most 10 events per call and keeps their order', async () => {
    const { publisher, sink } = setup();
    const all = Array.from({ length: 25 }, (_, i) =>
      publisher.publish(i % 2 ? 'a' : 'b', 'job.created', { seq: i, job: `j${i}` }, { key: `j${i}` }),
    );
    await Promise.all(all);
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(sink.events.map((e) => e.data.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('coalesces progress of one job (latest wins) and sends it at most once per interval', async () => {
    const { publisher, sink, count } = setup(['a'], 200);
    const outcomes: Promise<string>[] = [];
    for (let seq = 1; seq <= 30; seq++) {
      outcomes.push(publisher.publish('a', 'job.progress', { seq, job: 'j' }, { key: 'j', kind: 'progress' }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await publisher.flush();
    const sent = sink.events.map((e) => e.data.seq);
    // 300 ms of updates at a 200 ms interval: the first, one in the middle, and the last.
    expect(sent.length).toBeLessThanOrEqual(3);
    expect(sent.at(-1)).toBe(30);
    expect((await Promise.all(outcomes)).filter((o) => o === 'coalesced').length).toBe(30 - sent.length);
    expect(await count('coalesced')).toBe(30 - sent.length);
  });

  it('never drops a state change, and sends the held final progress before it', async () => {
    const { publisher, sink } = setup(['a'], 10_000);
    await publisher.publish('a', 'job.progress', { seq: 1, job: 'j' }, { key: 'j', kind: 'progress' });
    void publisher.publish('a', 'job.progress', { seq: 2, job: 'j' }, { key: 'j', kind: 'progress' });
    const done = publisher.publish('a', 'job.completed', { seq: 3, job: 'j' }, { key: 'j' });
    expect(await done).toBe('published');
    expect(sink.events.map((e) => [e.name, e.data.seq])).toEqual([
      ['job.progress', 1],
      ['job.progress', 2],
      ['job.completed', 3],
    ]);
  });

  it('does not let one job held by its interval delay another', async () => {
    const { publisher, sink } = setup(['a'], 10_000);
    await publisher.publish('a', 'job.progress', { seq: 1, job: 'x' }, { key: 'x', kind: 'progress' });
    void publisher.publish('a', 'job.progress', { seq: 2, job: 'x' }, { key: 'x', kind: 'progress' });
    expect(await publisher.publish('a', 'job.completed', { seq: 1, job: 'y' }, { key: 'y' })).toBe('published');
    expect(sink.events.map((e) => `${e.data.job}${e.data.seq}`)).toEqual(['x1', 'y1']);
  });

  it('refuses an event over 10 KB without sending it', async () => {
    const { publisher, sink, count } = setup();
    expect(await publisher.publish('a', 'job.created', { pad: 'x'.repeat(11 * 1024) })).toBe('failed');
    expect(sink.batches).toHaveLength(0);
    expect(await count('failed')).toBe(1);
  });

  it('retries transient failures with backoff and gives up on client errors', async () => {
    const { publisher, sink, count } = setup();
    sink.failures.push(new PusherApiError('network', undefined, undefined), new PusherApiError('503', 503, undefined));
    expect(await publisher.publish('a', 'job.created', { seq: 1 })).toBe('published');
    sink.failures.push(new PusherApiError('too big', 200, 413));
    expect(await publisher.publish('a', 'job.created', { seq: 2 })).toBe('failed');
    expect(sink.batches).toHaveLength(1);
    expect(await count('failed')).toBe(1);
  });

  it('when the gate cannot answer, publishes state changes anyway and drops progress', async () => {
    const { publisher, sink, gate, metrics } = setup();
    gate.broken = true;
    expect(await publisher.publish('z', 'job.failed', { seq: 5 })).toBe('published');
    expect(await publisher.publish('z', 'job.progress', { seq: 6 }, { kind: 'progress' })).toBe('failed');
    expect(sink.events.map((e) => e.data.seq)).toEqual([5]);
    const byAction = Object.fromEntries(
      (await metrics.gateFailures.get()).values.map((v) => [v.labels.action, v.value]),
    );
    expect(byAction).toEqual({ fail_open: 1, dropped: 1 });
  });

  it('is degraded from a batch that exhausted its retries until the next one gets through, not after a client error', async () => {
    const { publisher, sink } = setup();
    sink.failures.push(new PusherApiError('too big', 200, 413));
    expect(await publisher.publish('a', 'job.created', { seq: 1 })).toBe('failed');
    expect(publisher.degraded).toBe(false);
    sink.failures.push(
      ...Array.from({ length: 4 }, () => new PusherApiError('connect ECONNREFUSED', undefined, undefined)),
    );
    expect(await publisher.publish('a', 'job.created', { seq: 2 })).toBe('failed');
    expect(publisher.degraded).toBe(true);
    expect(await publisher.publish('a', 'job.created', { seq: 3 })).toBe('published');
    expect(publisher.degraded).toBe(false);
  });
});

describe('JobAnnouncer.announceFinal', () => {
  const job = (seq: number) => ({ ...sampleJob, seq });

  it('waits for the event while Pusher works, and not at all while it is failing', async () => {
    const { publisher, sink } = setup(['private-customer-acme']);
    const announcer = new JobAnnouncer(publisher);
    expect(await announcer.announceFinal(job(2), 'job.completed')).toBe('published');
    sink.failures.push(
      ...Array.from({ length: 4 }, () => new PusherApiError('connect ECONNREFUSED', undefined, undefined)),
    );
    expect(await announcer.announceFinal(job(3), 'job.completed')).toBe('failed');
    sink.failures.push(new PusherApiError('still down', undefined, undefined));
    // Degraded: returns before the publisher has even tried; the event leaves behind the others.
    expect(await announcer.announceFinal(job(4), 'job.completed')).toBe('queued');
    await publisher.flush();
    expect(sink.events.map((e) => e.data.seq)).toEqual([2, 4]);
    expect(publisher.degraded).toBe(false);
  });

  it('stops waiting after finalWaitMs when Pusher hangs', async () => {
    const registry = new Registry();
    let release: () => void = () => undefined;
    const hanging: BatchSink = { triggerBatch: () => new Promise<void>((resolve) => (release = resolve)) };
    const publisher = new GatedPublisher({
      gate: new SetGate(new Set(['private-customer-acme'])),
      sink: hanging,
      metrics: new RealtimeMetrics(registry),
      logger: pino({ level: 'silent' }),
    });
    const announcer = new JobAnnouncer(publisher, 50);
    expect(await announcer.announceFinal(job(2), 'job.completed')).toBe('queued');
    release();
    await publisher.flush();
  });
});

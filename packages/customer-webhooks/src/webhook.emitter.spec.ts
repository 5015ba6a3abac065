import { randomUUID } from 'node:crypto';
import type { Job } from '@kiln/jobs';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEmitter } from './webhook.emitter.js';

describe('WebhookEmitter', () => {
  const db = useRedis();

  function fresh() {
    const prefix = `test-${randomUUID()}`;
    const endpoints = new WebhookEndpointRepository(db.redis, prefix);
    const deliveries = new WebhookDeliveryRepository(db.redis, prefix);
    const queued: string[] = [];
    const emitter = new WebhookEmitter({
      endpoints,
      deliveries,
      queue: { add: async (d) => void queued.push(`${d.id}-${d.series}`) },
      clock: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    return { endpoints, deliveries, emitter, queued };
  }
  const job = (seq: number) => ({ id: 'job-1', customerId: 'acme', seq, status: 'completed' }) as unknown as Job;

  it('makes one delivery per subscribed, enabled endpoint of the job’s customer, each queued once', async () => {
    const { endpoints, deliveries, emitter, queued } = fresh();
    const all = await endpoints.create(
      'acme',
      { url: 'https://a.example/', events: ['job.completed', 'job.failed'], description: null },
      0,
    );
    await endpoints.create('acme', { url: 'https://b.example/', events: ['job.failed'], description: null }, 0);
    await endpoints.create('globex', { url: 'https://c.example/', events: ['job.completed'], description: null }, 0);
    const off = await endpoints.create(
      'acme',
      { url: 'https://d.example/', events: ['job.completed'], description: null },
      0,
    );
    await endpoints.recordAttempt(off, { ok: false, error: 'x', at: 0 }, 1);
    await endpoints.recordAttempt(off, { ok: false, error: 'x', at: 10 }, 1);

    const made = await emitter.emit('job.completed', job(7));
    expect(made.map((d) => d.endpointId)).toEqual([all.id]);
    expect(made[0]).toMatchObject({
      status: 'pending',
      attempts: [],
      eventType: 'job.completed',
      url: 'https://a.example/',
    });
    expect(JSON.parse(made[0]!.body)).toEqual({
      type: 'job.completed',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { job: job(7) },
    });
    expect(await deliveries.listForJob('acme', 'job-1')).toEqual(made);
    expect(await deliveries.listForJob('globex', 'job-1')).toEqual([]);
    expect(queued).toEqual([`${made[0]!.id}-0`]);
  });

  it('makes no second delivery when the same event is emitted again, but does for a later one', async () => {
    const { endpoints, deliveries, emitter, queued } = fresh();
    await endpoints.create('acme', { url: 'https://a.example/', events: ['job.completed'], description: null }, 0);
    const [first] = await emitter.emit('job.completed', job(7));
    expect(await emitter.emit('job.completed', job(7))).toEqual([]);
    const [later] = await emitter.emit('job.completed', job(9));
    expect(later!.webhookId).not.toBe(first!.webhookId);
    expect(queued).toHaveLength(2);
    expect(await deliveries.listForJob('acme', 'job-1')).toHaveLength(2);
  });
});

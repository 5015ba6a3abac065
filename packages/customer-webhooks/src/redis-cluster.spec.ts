import { randomUUID } from 'node:crypto';
import { createRedisConnection, redisReady, type Job, type RedisClient } from '@kiln/jobs';
import { startRedisCluster, type RedisClusterHandle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEmitter } from './webhook.emitter.js';
import { WebhookQueue } from './webhook.queue.js';

describe('customer webhooks on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let redis: RedisClient;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = createRedisConnection({ url: cluster.url, cluster: true });
    await redisReady(redis);
  }, 30_000);
  afterAll(async () => {
    await redis?.quit();
    await cluster?.stop();
  });

  it('creates endpoints (capped, by script), queues and lists deliveries under a hash-tagged prefix', async () => {
    const prefix = `{test-${randomUUID()}}`;
    const endpoints = new WebhookEndpointRepository(redis, prefix);
    const deliveries = new WebhookDeliveryRepository(redis, prefix);
    const queue = new WebhookQueue(redis, prefix);
    try {
      const e = await endpoints.create(
        'acme',
        { url: 'https://a.example/', events: ['job.failed'], description: null },
        1,
      );
      await expect(
        endpoints.create('acme', { url: 'https://b.example/', events: [], description: null }, 1),
      ).rejects.toThrow();
      const job = { id: 'job-1', customerId: 'acme', seq: 3, status: 'failed' } as unknown as Job;
      const [made] = await new WebhookEmitter({ endpoints, deliveries, queue }).emit('job.failed', job);
      expect(made?.endpointId).toBe(e.id);
      expect(await deliveries.listForJob('acme', 'job-1')).toEqual([made]);
      expect(await queue.queue.getJob(`${made!.id}-0`)).toBeTruthy();
      await endpoints.rotateSecret('acme', e.id, 1000);
      expect((await endpoints.recordAttempt(e, { ok: false, error: 'x', at: 0 }, 1)).disable).toBeNull();
    } finally {
      await queue.close();
    }
  });
});

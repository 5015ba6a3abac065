import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
  type WebhookDelivery,
  type WebhookJobData,
} from '@kiln/customer-webhooks';
import { createLogger } from '@kiln/logger';
import { useRedis } from '@kiln/testing';
import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDeliveryHandler } from './webhook-delivery.handler.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WebhookSender } from './webhook-sender.js';

const H = 3600_000;

describe('WebhookDeliveryHandler', () => {
  const db = useRedis();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(req.url === '/ok' ? 200 : 503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A handler on a fresh prefix whose clock the test sets. */
  function fresh() {
    const prefix = `test-${randomUUID()}`;
    const clock = { now: 10 * H };
    const endpoints = new WebhookEndpointRepository(db.redis, prefix, () => clock.now);
    const deliveries = new WebhookDeliveryRepository(db.redis, prefix);
    const handler = new WebhookDeliveryHandler({
      endpoints,
      deliveries,
      sender: new WebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: 2_000 }),
      metrics: new WebhookMetrics(new Registry()),
      rules: { retryWindowMs: 24 * H, retryBaseMs: 5_000, disableAfterMs: 72 * H },
      logger: createLogger({ name: 'test', level: 'silent' }),
      clock: () => clock.now,
    });
    return { endpoints, deliveries, handler, clock };
  }

  async function pending(
    parts: ReturnType<typeof fresh>,
    hookPath: string,
    at: number,
  ): Promise<{ delivery: WebhookDelivery; bull: (attemptsMade: number) => BullJob<WebhookJobData> }> {
    const endpoint = await parts.endpoints.create(
      'acme',
      { url: `${url}${hookPath}`, events: ['job.failed'], description: null },
      0,
    );
    const iso = new Date(at).toISOString();
    const delivery: WebhookDelivery = {
      id: `dlv_${randomUUID()}`,
      customerId: 'acme',
      jobId: 'job-1',
      endpointId: endpoint.id,
      url: endpoint.url,
      eventType: 'job.failed',
      webhookId: 'msg_1',
      status: 'pending',
      attempts: [],
      nextAttemptAt: iso,
      createdAt: iso,
      series: 0,
      seriesStartedAt: iso,
      body: '{}',
    };
    await parts.deliveries.createOnce(delivery);
    const bull = (attemptsMade: number) =>
      ({ id: `${delivery.id}-0`, data: { deliveryId: delivery.id }, attemptsMade }) as BullJob<WebhookJobData>;
    return { delivery, bull };
  }

  it('records a failed attempt with its next try and throws so BullMQ retries', async () => {
    const parts = fresh();
    const { delivery, bull } = await pending(parts, '/down', parts.clock.now);
    await expect(parts.handler.process(bull(0))).rejects.not.toBeInstanceOf(UnrecoverableError);
    const stored = await parts.deliveries.get(delivery.id);
    expect(stored).toMatchObject({
      status: 'pending',
      attempts: [{ statusCode: 503, error: 'HTTP 503 Service Unavailable' }],
    });
    const next = Date.parse(stored!.nextAttemptAt!) - parts.clock.now;
    expect(next).toBeGreaterThanOrEqual(3_750);
    expect(next).toBeLessThanOrEqual(6_250);
  });

  it('fails for good once the next try would fall past the retry window', async () => {
    const parts = fresh();
    const { delivery, bull } = await pending(parts, '/down', parts.clock.now - 24 * H + 1_000);
    await expect(parts.handler.process(bull(20))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(await parts.deliveries.get(delivery.id)).toMatchObject({ status: 'failed', nextAttemptAt: null });
  });

  it('disables an endpoint after its deliveries failed for KILN_WEBHOOK_DISABLE_AFTER_H, then drops its deliveries', async () => {
    const parts = fresh();
    const { delivery, bull } = await pending(parts, '/down', parts.clock.now);
    await expect(parts.handler.process(bull(0))).rejects.toThrow();
    parts.clock.now += 72 * H;
    await expect(parts.handler.process(bull(1))).rejects.toBeInstanceOf(UnrecoverableError);
    const endpoint = await parts.endpoints.get(delivery.endpointId);
    expect(endpoint).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('HTTP 503') });
    const other = await pending(parts, '/ok', parts.clock.now);
    for (const at of [0, 2 * H])
      await parts.endpoints.recordAttempt({ id: other.delivery.endpointId }, { ok: false, error: 'x', at }, H);
    await parts.handler.process(other.bull(0));
    expect(await parts.deliveries.get(other.delivery.id)).toMatchObject({
      status: 'failed',
      attempts: [{ statusCode: null, error: expect.stringContaining('the endpoint is disabled') }],
    });
  });

  it('ends quietly when the delivery or its endpoint is gone', async () => {
    const parts = fresh();
    const gone = { id: 'x', data: { deliveryId: 'dlv_missing' }, attemptsMade: 0 } as BullJob<WebhookJobData>;
    await expect(parts.handler.process(gone)).resolves.toBeUndefined();
    const { delivery, bull } = await pending(parts, '/ok', parts.clock.now);
    await parts.endpoints.delete('acme', delivery.endpointId);
    await expect(parts.handler.process(bull(0))).resolves.toBeUndefined();
    expect(await parts.deliveries.get(delivery.id)).toMatchObject({
      status: 'failed',
      attempts: [{ error: 'the endpoint was deleted' }],
    });
  });
});

import {
  WEBHOOKS_QUEUE,
  WebhookDeliveryRepository,
  WebhookEmitter,
  WebhookEndpointRepository,
  WebhookQueue,
  type WebhookJobData,
} from '@kiln/customer-webhooks';
import { bullPrefix, createRedisConnection, redisTarget, type RedisClient } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import { Worker } from 'bullmq';
import type { Registry } from 'prom-client';
import type { WorkerConfig } from './config.js';
import { WebhookDeliveryHandler, webhookBackoffStrategy } from './webhook-delivery.handler.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WebhookSender } from './webhook-sender.js';

/** Deliveries one worker process sends at once (each mostly waits on a receiver). */
const DELIVERY_CONCURRENCY = 16;

/** The customer-webhook side of a worker: the emitter the encode handler uses and the delivery consumer. */
export interface WebhookDeliveries {
  emitter: WebhookEmitter;
  worker: Worker<WebhookJobData>;
  /** Starts sending deliveries. */
  start(): void;
  /** Stops taking deliveries (attempts under way finish) and closes the queue. */
  stop(): Promise<void>;
}

/**
 * Wires customer webhooks into a worker: endpoints and deliveries in Redis, the `webhooks` queue,
 * an emitter for the encode handler, and a BullMQ worker sending deliveries with the KILN_WEBHOOK_*
 * rules, its metrics on the worker's registry. Every worker process sends deliveries, so
 * `npm start` does too.
 */
export function createWebhookDeliveries(
  config: WorkerConfig,
  parts: { redis: RedisClient; registry: Registry; logger: Logger },
): WebhookDeliveries {
  const { redis, logger } = parts;
  const prefix = config.KILN_REDIS_PREFIX;
  const endpoints = new WebhookEndpointRepository(redis, prefix);
  const deliveries = new WebhookDeliveryRepository(redis, prefix);
  const queue = new WebhookQueue(redis, prefix);
  const handler = new WebhookDeliveryHandler({
    endpoints,
    deliveries,
    sender: new WebhookSender({
      allowHosts: config.KILN_WEBHOOK_ALLOW_HOSTS,
      timeoutMs: config.KILN_WEBHOOK_TIMEOUT_MS,
    }),
    metrics: new WebhookMetrics(parts.registry),
    rules: {
      retryWindowMs: config.KILN_WEBHOOK_RETRY_H * 3600_000,
      retryBaseMs: config.KILN_WEBHOOK_RETRY_BASE_MS,
      disableAfterMs: config.KILN_WEBHOOK_DISABLE_AFTER_H * 3600_000,
    },
    logger: logger.child({ component: 'webhooks' }),
  });
  const worker = new Worker<WebhookJobData>(WEBHOOKS_QUEUE, (job) => handler.process(job), {
    connection: createRedisConnection(redisTarget(config), { connectionName: 'kiln-worker-webhooks' }),
    prefix: bullPrefix(prefix),
    concurrency: DELIVERY_CONCURRENCY,
    settings: { backoffStrategy: webhookBackoffStrategy(config.KILN_WEBHOOK_RETRY_BASE_MS) },
    autorun: false,
  });
  worker.on('error', (err) => logger.error({ err }, 'webhook delivery worker error'));
  return {
    emitter: new WebhookEmitter({ endpoints, deliveries, queue }),
    worker,
    start() {
      void worker.run().catch((err: unknown) => logger.error({ err }, 'webhook delivery worker stopped running'));
    },
    async stop() {
      await worker.close();
      await queue.close();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { EncodeQueues, JobRepository, type CreateJobRequest } from '@kiln/jobs';
import { GatedPublisher, JobAnnouncer, PusherTransport, RealtimeMetrics, type BatchSink } from '@kiln/realtime';
import { getFreePort, startRedis, useRedis, waitFor, type RedisHandle } from '@kiln/testing';
import { FairQueue } from '@kiln/scheduler';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, ServiceUnavailableError } from '../http.errors.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { InputPolicy } from './input-policy.js';
import { JobService } from './job.service.js';

describe('JobService.createOnce', () => {
  let server: RedisHandle;
  let redis: Redis;
  const prefixes: string[] = [];
  const track = (prefix: string) => (prefixes.push(prefix), prefix);
  const silent = pino({ level: 'silent' });
  const request: CreateJobRequest = {
    input: 'https://media.example.com/a.mp4',
    outputs: [{ preset: 'mp4-360p' }],
    priority: 'normal',
  };
  const announcer = () => {
    const metrics = new RealtimeMetrics(new Registry());
    const transport = new PusherTransport(
      { appId: '1', key: 'pk', secret: 'ps', cluster: 'mt1', host: '127.0.0.1', port: 9, useTLS: false },
      metrics,
    );
    return new JobAnnouncer(
      new GatedPublisher({ gate: { isOccupied: async () => false }, sink: transport, metrics, logger: silent }),
    );
  };
  const service = (line: FairQueue, prefix: string, clock?: () => number) =>
    new JobService({
      repo: new JobRepository(redis, prefix),
      queues: new EncodeQueues(redis, prefix),
      line,
      kick: () => undefined,
      announcer: announcer(),
      inputPolicy: new InputPolicy([], { exists: async () => false }),
      logger: silent,
      notifyCancel: async () => 0,
      idempotency: new IdempotencyRepository(redis, prefix),
      ...(clock ? { clock } : {}),
    });

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis?.quit();
    await server?.stop();
  });

  it('gives the key back when the job could not be queued, so a retry creates it', async () => {
    const prefix = track(`test-${randomUUID()}`);
    // A line whose Redis is gone: joining it fails the way it does when Redis is down.
    const dead = new Redis(`redis://127.0.0.1:${await getFreePort()}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await expect(
      service(new FairQueue(dead, prefix), prefix).createOnce('acme', request, { key: 'k1', fingerprint: 'f1' }),
    ).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(await redis.exists(`${prefix}:idem:acme:k1`)).toBe(0);
    dead.disconnect();

    const line = new FairQueue(redis, prefix);
    const retried = await service(line, prefix).createOnce('acme', request, { key: 'k1', fingerprint: 'f1' });
    expect(retried.replayed).toBe(false);
    expect(await line.state(retried.job.id)).toMatchObject({ state: 'waiting', customerId: 'acme' });
  });

  it('answers 409 while the first request is storing the job, and takes over a claim whose request died', async () => {
    const prefix = track(`test-${randomUUID()}`);
    let now = 1_000_000;
    const jobs = service(new FairQueue(redis, prefix), prefix, () => now);
    // A claim without its job: another request is between SET NX and storing the job (or died there).
    await new IdempotencyRepository(redis, prefix).claim('acme', 'k2', {
      fingerprint: 'f2',
      jobId: randomUUID(),
      claimedAt: now,
    });
    const busy = await jobs.createOnce('acme', request, { key: 'k2', fingerprint: 'f2' }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(IdempotencyConflictError);
    expect((busy as IdempotencyConflictError).code).toBe('idempotency_key_in_use');
    now += 60_000;
    const taken = await jobs.createOnce('acme', request, { key: 'k2', fingerprint: 'f2' });
    expect(taken.replayed).toBe(false);
    const again = await jobs.createOnce('acme', request, { key: 'k2', fingerprint: 'f2' });
    expect(again).toMatchObject({ replayed: true, job: { id: taken.job.id } });
  });
});

describe('JobService.create and retry', () => {
  const db = useRedis({ maxRetriesPerRequest: null });
  const silent = pino({ level: 'silent' });
  const request: CreateJobRequest = {
    input: 'https://media.example.com/a.mp4',
    outputs: [{ preset: 'mp4-360p' }],
    priority: 'normal',
  };

  it("sends job.created before the job reaches the queue, so a worker's first event cannot overtake it", async () => {
    const prefix = `test-${randomUUID()}`;
    const steps: string[] = [];
    // A watched customer channel whose Pusher answers after 50 ms: plenty of time for a worker to start.
    const metrics = new RealtimeMetrics(new Registry());
    const slowSink: BatchSink = {
      triggerBatch: async (batch) => {
        await new Promise((r) => setTimeout(r, 50));
        for (const e of batch)
          steps.push(
            `sent ${e.name} seq ${(typeof e.data === 'string' ? (JSON.parse(e.data) as { seq: number }) : (e.data as { seq: number })).seq}`,
          );
      },
    };
    const announcer = new JobAnnouncer(
      new GatedPublisher({
        gate: { isOccupied: async (channel) => channel.startsWith('private-customer-') },
        sink: slowSink,
        metrics,
        logger: silent,
      }),
    );
    // The real line, noting when a job joined it.
    const line = new (class extends FairQueue {
      override async enqueue(job: Parameters<FairQueue['enqueue']>[0]): Promise<void> {
        await super.enqueue(job);
        steps.push(`queued ${job.jobId}`);
      }
    })(db.redis, prefix);
    const repo = new JobRepository(db.redis, prefix);
    const service = new JobService({
      repo,
      queues: new EncodeQueues(db.redis, prefix),
      line,
      kick: () => undefined,
      announcer,
      inputPolicy: new InputPolicy([], { exists: async () => false }),
      logger: silent,
      notifyCancel: async () => 0,
      idempotency: new IdempotencyRepository(db.redis, prefix),
    });

    const job = await service.create('acme', request);
    expect(steps).toEqual(['sent job.created seq 1', `queued ${job.id}`]);

    await repo.update(job.id, { status: 'failed', finishedAt: new Date().toISOString() });
    steps.length = 0;
    const retried = await service.retry('acme', job.id);
    expect(steps).toEqual([`sent job.created seq ${retried.seq}`, `queued ${job.id}`]);
  });

  it('undoes a retry whose queueing failed: the job is failed again with enqueue_failed, not left queued', async () => {
    const prefix = `test-${randomUUID()}`;
    const metrics = new RealtimeMetrics(new Registry());
    const quiet: BatchSink = { triggerBatch: async () => undefined };
    const announcer = new JobAnnouncer(
      new GatedPublisher({ gate: { isOccupied: async () => false }, sink: quiet, metrics, logger: silent }),
    );
    const brokenLine = new (class extends FairQueue {
      override async enqueue(): Promise<void> {
        throw new Error('the line refused the job');
      }
    })(db.redis, prefix);
    const repo = new JobRepository(db.redis, prefix);
    const service = new JobService({
      repo,
      queues: new EncodeQueues(db.redis, prefix),
      line: brokenLine,
      kick: () => undefined,
      announcer,
      inputPolicy: new InputPolicy([], { exists: async () => false }),
      logger: silent,
      notifyCancel: async () => 0,
      idempotency: new IdempotencyRepository(db.redis, prefix),
    });
    const job = await repo.create({ customerId: 'acme', input: request.input, outputs: request.outputs });
    await repo.update(job.id, { status: 'failed', finishedAt: new Date().toISOString() });

    await expect(service.retry('acme', job.id)).rejects.toBeInstanceOf(ServiceUnavailableError);
    await waitFor(async () => (await repo.get(job.id))?.status === 'failed', { timeoutMs: 5_000 });
    expect((await repo.get(job.id))!.error).toEqual({
      code: 'enqueue_failed',
      message: 'the job could not be queued; try again',
    });
  });
});

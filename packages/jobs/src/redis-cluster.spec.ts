import { randomUUID } from 'node:crypto';
import { getFreePort, startRedisCluster, type RedisClusterHandle } from '@kiln/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobIndexBackfill } from './job-index.backfill.js';
import { JobKeys } from './job-index.keys.js';
import { JobStatsRepository } from './job-stats.repository.js';
import { JobRepository } from './job.repository.js';
import {
  createRedisConnection,
  createRequestRedisConnection,
  isRedisUnavailableError,
  redisNodes,
  redisReady,
  type RedisClient,
} from './redis-connection.js';

describe('Redis connections in cluster mode', () => {
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

  it('is a Cluster configured for BullMQ, holding every master', () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect((redis as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
    expect(redisNodes(redis)).toHaveLength(3);
  });

  it("runs the job store's scripts and backfill under a hash-tagged prefix, scanning every master", async () => {
    const prefix = `{test-${randomUUID()}}`;
    const repo = new JobRepository(redis, prefix);
    const keys = new JobKeys(prefix);
    const job = await repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    await repo.update(job.id, { status: 'failed', finishedAt: new Date().toISOString() });
    await repo.create({ customerId: 'globex', input: 'https://x/b.mp4', outputs: [{ preset: 'mp4-360p' }] });
    expect((await repo.list('acme', { limit: 5, status: 'failed' })).data.map((j) => j.id)).toEqual([job.id]);

    // A store written before the indexes: the backfill must find both customers wherever the slot lives.
    await redis.del(keys.status('acme', 'failed'), keys.status('globex', 'queued'), keys.finished());
    expect(await new JobIndexBackfill(redis, prefix).run()).toEqual({ ran: true, customers: 2, jobs: 2 });
    expect((await new JobStatsRepository(redis, prefix).counters('globex', [])).counts.queued).toBe(1);
    expect((await repo.list('acme', { limit: 5, status: 'failed' })).data.map((j) => j.id)).toEqual([job.id]);
  });

  it('delivers pub/sub messages published from another connection', async () => {
    const subscriber = createRedisConnection({ url: cluster.url, cluster: true });
    const channel = `{test-${randomUUID()}}:changes`;
    const received = new Promise<string>((resolve) => subscriber.on('message', (_c: string, m: string) => resolve(m)));
    await subscriber.subscribe(channel);
    await redis.publish(channel, 'hello');
    expect(await received).toBe('hello');
    await subscriber.quit();
  });

  it('fails a request connection at once when no seed node answers', async () => {
    const ok = createRequestRedisConnection({ url: cluster.url, cluster: true }, { commandTimeoutMs: 500 });
    await redisReady(ok);
    expect(await ok.set(`{test-${randomUUID()}}:k`, '1')).toBe('OK');
    await ok.quit();

    const seeds = `redis://127.0.0.1:${await getFreePort()},redis://127.0.0.1:${await getFreePort()}`;
    const down = createRequestRedisConnection({ url: seeds, cluster: true }, { commandTimeoutMs: 500 });
    down.on('error', () => undefined);
    const t0 = performance.now();
    const err = await down.get('k').catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(isRedisUnavailableError(err)).toBe(true);
    down.disconnect();
  });
});

import { randomUUID } from 'node:crypto';
import { JobRepository, JobStatsRepository, type Job, type JobOutput } from '@kiln/jobs';
import { countRedisCommands, startRedis, type RedisHandle } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSpeedOf, StatsService } from './stats.service.js';

const NOW = new Date('2026-03-10T12:34:56.000Z');
const HOUR = 3_600_000;

describe('StatsService', () => {
  let server: RedisHandle;
  let redis: Redis;
  const prefixes: string[] = [];
  const track = (prefix: string) => (prefixes.push(prefix), prefix);

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

  /** A job created `ageMs` before NOW, optionally completed with outputs of `duration` seconds encoded in `tookS`. */
  async function seed(
    prefix: string,
    customerId: string,
    ageMs: number,
    done?: { duration: number; tookS: number } | { speed: number },
  ) {
    let at = new Date(NOW.getTime() - ageMs);
    const repo = new JobRepository(redis, prefix, () => at);
    const job = await repo.create({ customerId, input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    if (!done) return job;
    const started = at.toISOString();
    if ('duration' in done) {
      at = new Date(at.getTime() + done.tookS * 1000);
      const outputs: JobOutput[] = job.outputs.map((o) => ({
        ...o,
        status: 'completed',
        durationSeconds: done.duration,
      }));
      await repo.update(job.id, { status: 'completed', startedAt: started, finishedAt: at.toISOString(), outputs });
    } else {
      await repo.update(job.id, {
        status: 'completed',
        progress: { percent: 100, fps: 100, speed: done.speed, etaSeconds: 0 },
      });
    }
    return job;
  }

  it('counts by status, buckets the last 24 h and averages encode speed, for one customer only', async () => {
    const prefix = track(`test-${randomUUID()}`);
    const repo = new JobRepository(redis, prefix);
    await seed(prefix, 'acme', 5 * 60_000, { duration: 10, tookS: 2 }); // 5x, this hour
    await seed(prefix, 'acme', 2 * HOUR, { duration: 6, tookS: 3 }); // 2x
    await seed(prefix, 'acme', 2 * HOUR + 60_000, { speed: 3.5 }); // no timings: ffmpeg's speed
    const failed = await seed(prefix, 'acme', 23 * HOUR);
    await repo.update(failed.id, { status: 'failed', error: { code: 'x', message: 'y' } });
    await seed(prefix, 'acme', 30 * HOUR); // older than the window: counted, not bucketed
    await seed(prefix, 'globex', 60_000, { duration: 100, tookS: 1 });

    const stats = await new StatsService(new JobStatsRepository(redis, prefix), () => NOW).forCustomer('acme');
    expect(stats.counts).toEqual({
      queued: 1,
      probing: 0,
      encoding: 0,
      storing: 0,
      completed: 3,
      failed: 1,
      cancelled: 0,
    });
    expect(stats.jobsPerHour).toHaveLength(24);
    // 23 h before 12:34:56 is 13:34:56 the day before: the oldest bucket.
    expect(stats.jobsPerHour[0]).toEqual({ hour: '2026-03-09T13:00:00.000Z', count: 1 });
    expect(stats.jobsPerHour[23]).toEqual({ hour: '2026-03-10T12:00:00.000Z', count: 1 });
    expect(stats.jobsPerHour.find((b) => b.hour === '2026-03-10T10:00:00.000Z')!.count).toBe(2);
    expect(stats.jobsPerHour.reduce((n, b) => n + b.count, 0)).toBe(4);
    expect(stats.meanEncodeSpeed).toBeCloseTo((5 + 2 + 3.5) / 3, 3);
    expect(stats).toMatchObject({ scannedJobs: 5, truncated: false });

    expect(
      await new StatsService(new JobStatsRepository(redis, prefix), () => NOW).forCustomer('nobody'),
    ).toMatchObject({ meanEncodeSpeed: null, scannedJobs: 0, truncated: false });
  });

  it('counts every job, past the old 10,000-job scan limit, with the same few Redis commands at any size', async () => {
    const prefix = track(`test-${randomUUID()}`);
    const service = new StatsService(new JobStatsRepository(redis, prefix), () => NOW);
    const repo = new JobRepository(redis, prefix, () => NOW);
    const seedMany = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] }),
        ),
      );
    await seedMany(10);
    const small = await countRedisCommands(redis, () => service.forCustomer('acme'));
    await seedMany(2_990);
    let stats: Awaited<ReturnType<StatsService['forCustomer']>> | undefined;
    const large = await countRedisCommands(redis, async () => (stats = await service.forCustomer('acme')));
    expect(stats).toMatchObject({ scannedJobs: 3_000, truncated: false, counts: { queued: 3_000 } });
    expect(stats!.jobsPerHour.at(-1)).toEqual({ hour: '2026-03-10T12:00:00.000Z', count: 3_000 });
    // 7 ZCARD + 24 ZCOUNT + 1 HMGET, whatever the number of jobs (the scan read every job's hash).
    expect(large.total).toBe(small.total);
    expect(large.total).toBeLessThanOrEqual(40);
  });

  it('reads 5000 jobs in a fraction of a second', async () => {
    const prefix = track(`test-${randomUUID()}`);
    const repo = new JobRepository(redis, prefix, () => NOW);
    const pipeline: Promise<Job>[] = [];
    for (let i = 0; i < 5000; i++)
      pipeline.push(
        repo.create({
          customerId: 'acme',
          input: 'https://x/a.mp4',
          outputs: [{ preset: 'mp4-360p' }, { preset: 'mp4-720p' }],
          metadata: { title: `job ${i}` },
        }),
      );
    await Promise.all(pipeline);
    const t0 = performance.now();
    const stats = await new StatsService(new JobStatsRepository(redis, prefix), () => NOW).forCustomer('acme');
    const ms = performance.now() - t0;
    expect(stats).toMatchObject({ scannedJobs: 5000, truncated: false, counts: { queued: 5000 } });
    // ~0.25 s on a 2-core machine; the bound is loose because specs run in parallel.
    expect(ms).toBeLessThan(1500);
  });
});

describe('encodeSpeedOf', () => {
  const base = {
    status: 'completed',
    progress: { percent: 100, fps: null, speed: null, etaSeconds: null },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:04.000Z',
  } as unknown as Job;
  const out = (durationSeconds: number | null) => ({ durationSeconds }) as JobOutput;

  it('uses the longest output over the wall time, else the reported speed, else nothing', () => {
    expect(encodeSpeedOf({ ...base, outputs: [out(8), out(6)] })).toBe(2);
    expect(encodeSpeedOf({ ...base, outputs: [out(null)], progress: { ...base.progress, speed: 1.5 } })).toBe(1.5);
    expect(encodeSpeedOf({ ...base, outputs: [out(8)], startedAt: null })).toBeNull();
    expect(encodeSpeedOf({ ...base, status: 'failed', outputs: [out(8)] })).toBeNull();
  });
});

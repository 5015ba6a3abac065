import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  EncodeQueues,
  FinishedJobsRepository,
  JobKeys,
  JobStatsRepository,
  type Job,
  type JobStatus,
} from '@kiln/jobs';
import { LocalStorage } from '@kiln/storage';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { useApiHarness } from '../testing/api-harness.js';
import { JobDeletionService } from './job-deletion.service.js';
import { JobRetentionService } from './job-retention.service.js';
import { RedisLock } from './redis-lock.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');

describe('JobRetentionService', () => {
  const harness = useApiHarness();
  const silent = pino({ level: 'silent' });
  // The sweep covers every customer of the store: each test starts from an empty one.
  beforeEach(async () => {
    const keys = await harness().redis.keys(`${harness().prefix}:*`);
    if (keys.length > 0) await harness().redis.del(...keys);
  });

  function retention(ttlDays: number): JobRetentionService {
    const h = harness();
    return new JobRetentionService({
      finished: new FinishedJobsRepository(h.redis, h.prefix),
      repo: h.repo,
      deletion: new JobDeletionService({
        repo: h.repo,
        queues: new EncodeQueues(h.redis, h.prefix),
        storage: new LocalStorage(h.storageDir),
        logger: silent,
      }),
      lock: new RedisLock(h.redis, `${h.prefix}:test-sweep-lock`, 60_000),
      ttlDays,
      logger: silent,
      clock: () => NOW,
    });
  }

  /** A job queued in BullMQ with an output file, left in `status`, finished `finishedDaysAgo` days before NOW. */
  async function job(status: JobStatus, finishedDaysAgo?: number): Promise<Job> {
    const h = harness();
    const created = await h.repo.create({
      customerId: 'acme',
      input: 'https://x/a.mp4',
      outputs: [{ preset: 'mp4-360p' }],
    });
    await h.queue.add('encode', { jobId: created.id, customerId: 'acme' }, { jobId: created.id });
    const dir = path.join(h.storageDir, 'acme', created.id);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'mp4-360p.mp4'), 'not really a video');
    const finishedAt = finishedDaysAgo === undefined ? null : new Date(NOW - finishedDaysAgo * DAY).toISOString();
    if (status !== 'queued')
      await h.repo.update(created.id, { status, finishedAt, startedAt: new Date(NOW - 90 * DAY).toISOString() });
    return created;
  }
  const exists = async (j: Job) => ({
    record: (await harness().repo.get(j.id)) !== null,
    files: (await readdir(path.join(harness().storageDir, 'acme')).catch((): string[] => [])).includes(j.id),
    queued: (await harness().queue.getJob(j.id)) !== undefined,
  });
  const kept = { record: true, files: true, queued: true };
  const gone = { record: false, files: false, queued: false };

  it('deletes exactly the finished jobs past the TTL, with outputs, queue entries and index entries', async () => {
    const expired = [await job('completed', 31), await job('failed', 45), await job('cancelled', 400)];
    const young = [await job('completed', 29), await job('failed', 1)];
    const running = [await job('encoding'), await job('queued'), await job('probing')];

    expect(await retention(0).sweepOnce()).toBe(0);
    for (const j of [...expired, ...young, ...running]) expect(await exists(j)).toEqual(kept);

    expect(await retention(30).sweepOnce()).toBe(3);
    for (const j of expired) expect(await exists(j)).toEqual(gone);
    for (const j of [...young, ...running]) expect(await exists(j)).toEqual(kept);
    // Nothing of them is left in the indexes or counters.
    const h = harness();
    const listed = (await h.repo.list('acme', { limit: 100 })).data.map((j) => j.id);
    expect(listed.sort()).toEqual([...young, ...running].map((j) => j.id).sort());
    expect((await new JobStatsRepository(h.redis, h.prefix).counters('acme', [])).counts).toEqual({
      queued: 1,
      probing: 1,
      encoding: 1,
      storing: 0,
      completed: 1,
      failed: 1,
      cancelled: 0,
    });
    expect(await new FinishedJobsRepository(h.redis, h.prefix).finishedBefore(NOW + DAY, 100)).toEqual(
      young.map((j) => j.id),
    );
    for (const j of expired) expect(await h.redis.exists(new JobKeys(h.prefix).job(j.id))).toBe(0);

    // A second sweep finds nothing more.
    expect(await retention(30).sweepOnce()).toBe(0);
  });

  it('with KILN_JOB_TTL_DAYS=0 removes nothing, however old', async () => {
    const ancient = await job('completed', 3650);
    const service = retention(0);
    service.start(10);
    expect(await service.sweepOnce()).toBe(0);
    await service.stop();
    expect(await exists(ancient)).toEqual(kept);
  });

  it('deletes each expired job once when several API processes sweep at the same time', async () => {
    const expired = await Promise.all(Array.from({ length: 250 }, () => job('failed', 40)));
    const sweepers = [retention(30), retention(30), retention(30)];
    const removed = await Promise.all(sweepers.map((s) => s.sweepOnce()));
    // Another process holding the lease skips; whatever is left is finished by the next sweep.
    let total = removed.reduce((n, r) => n + r, 0);
    while (total < expired.length) {
      const more = await sweepers[0]!.sweepOnce();
      expect(more).toBeGreaterThan(0);
      total += more;
    }
    expect(total).toBe(expired.length);
    for (const j of expired.slice(0, 20)) expect(await exists(j)).toEqual(gone);
  }, 60_000);
});

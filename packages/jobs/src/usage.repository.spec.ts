import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { JobIndexBackfill } from './job-index.backfill.js';
import { JobKeys } from './job-index.keys.js';
import { JobRepository, resetOutputs, type CreateLimits } from './job.repository.js';
import type { Job, JobOutput } from './job.schema.js';
import { JobLimitExceededError } from './jobs.errors.js';
import { UsageRepository } from './usage.repository.js';

describe('UsageRepository and the job store usage counters', () => {
  const db = useRedis();

  function fresh(clock: () => number = Date.now) {
    const prefix = `test-${randomUUID()}`;
    return {
      prefix,
      keys: new JobKeys(prefix),
      repo: new JobRepository(db.redis, prefix),
      usage: new UsageRepository(db.redis, prefix, clock),
    };
  }
  const create = (repo: JobRepository, customerId = 'acme', limits?: CreateLimits) =>
    repo.create({
      customerId,
      input: 'https://x/a.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls-360p' }],
      limits,
    });
  const completed = (o: JobOutput, sizeBytes: number): JobOutput => ({ ...o, status: 'completed', sizeBytes });
  /** Runs a job as a worker does: probing, outputs stored one by one, completed. */
  async function complete(repo: JobRepository, job: Job, sizes: number[]): Promise<void> {
    await repo.update(job.id, { status: 'probing', outputs: resetOutputs(job.outputs) });
    await repo.update(job.id, { status: 'encoding' });
    let outputs = job.outputs;
    for (const [i, size] of sizes.entries()) {
      outputs = outputs.map((o, j) => (j === i ? completed(o, size) : o));
      await repo.update(job.id, { outputs });
    }
    await repo.update(job.id, { status: 'completed', finishedAt: new Date().toISOString() });
  }

  it('counts running and queued jobs from the status indexes', async () => {
    const { repo, usage } = fresh();
    const jobs = await Promise.all([create(repo), create(repo), create(repo), create(repo, 'globex')]);
    await repo.update(jobs[0]!.id, { status: 'probing' });
    await repo.update(jobs[1]!.id, { status: 'encoding' });
    expect(await usage.read('acme')).toEqual({ running: 2, queued: 1, outputBytes: 0, uploadBytes: 0 });
    expect(await usage.read('globex')).toMatchObject({ running: 0, queued: 1 });
  });

  it('counts outputs as they are stored, takes them back on a new attempt, a retry and a delete', async () => {
    const { repo, usage } = fresh();
    const job = await create(repo);
    await repo.update(job.id, { status: 'probing' });
    await repo.update(job.id, { outputs: [completed(job.outputs[0]!, 1000), job.outputs[1]!] });
    expect((await usage.read('acme')).outputBytes).toBe(1000);
    // A new attempt starts from pending outputs again.
    await repo.update(job.id, { outputs: resetOutputs(job.outputs) });
    expect((await usage.read('acme')).outputBytes).toBe(0);

    await complete(repo, job, [1000, 234]);
    const other = await create(repo);
    await complete(repo, other, [5]);
    expect((await usage.read('acme')).outputBytes).toBe(1239);
    // Writing the same outputs again changes nothing; a failed job keeps what it stored.
    await repo.update(job.id, { status: 'failed' });
    await repo.update(job.id, { outputs: (await repo.get(job.id))!.outputs });
    expect((await usage.read('acme')).outputBytes).toBe(1239);
    // A retry resets the outputs.
    await repo.update(job.id, { status: 'queued', outputs: resetOutputs(job.outputs) }, ['failed']);
    expect((await usage.read('acme')).outputBytes).toBe(5);
    expect(await repo.delete('acme', other.id)).toBe(true);
    expect((await usage.read('acme')).outputBytes).toBe(0);
    expect(await repo.delete('acme', other.id)).toBe(false);
    expect((await usage.read('acme')).outputBytes).toBe(0);
  });

  it('never lets a counter go below 0', async () => {
    const { repo, usage, keys } = fresh();
    const job = await create(repo);
    await complete(repo, job, [700, 300]);
    // Someone reset the counter by hand (or it was lost): taking the job back stops at 0.
    await db.redis.hset(keys.usage('acme'), 'outputBytes', '100');
    await repo.delete('acme', job.id);
    expect(await db.redis.hget(keys.usage('acme'), 'outputBytes')).toBe('0');
    expect((await usage.read('acme')).outputBytes).toBe(0);
  });

  it('refuses a create over the queued limit exactly, even for a burst of parallel creates', async () => {
    const { repo, usage } = fresh();
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => create(repo, 'acme', { queued: 7 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(refused).toHaveLength(23);
    for (const err of refused) expect(err).toMatchObject({ limit: 'queued', value: 7, used: 7 });
    expect(refused[0]).toBeInstanceOf(JobLimitExceededError);
    expect((await usage.read('acme')).queued).toBe(7);
    expect((await repo.list('acme', { limit: 100 })).data).toHaveLength(7);
    // Another customer, or no limit, is not affected; a job that starts makes room.
    await create(repo, 'globex', { queued: 7 });
    const first = (await repo.list('acme', { limit: 1 })).data[0]!;
    await repo.update(first.id, { status: 'probing' });
    await create(repo, 'acme', { queued: 7 });
    await create(repo, 'acme');
  });

  it('refuses a create while stored bytes are at or over the limit', async () => {
    const { repo, usage } = fresh();
    const job = await create(repo);
    await complete(repo, job, [600, 400]);
    await expect(create(repo, 'acme', { storedBytes: 1000 })).rejects.toMatchObject({
      limit: 'storedBytes',
      value: 1000,
      used: 1000,
    });
    await create(repo, 'acme', { storedBytes: 1001 });
    await usage.addUpload('acme', randomUUID(), 1, null);
    await expect(create(repo, 'acme', { storedBytes: 1001 })).rejects.toBeInstanceOf(JobLimitExceededError);
  });

  it('counts an upload once, refuses one past the limit and stops counting removed and expired ones', async () => {
    let now = 1_000_000;
    const { usage } = fresh(() => now);
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await usage.addUpload('acme', a, 600, 1000)).toEqual({ ok: true });
    expect(await usage.addUpload('acme', a, 600, 1000)).toEqual({ ok: true });
    expect(await usage.addUpload('acme', b, 401, 1000)).toEqual({ ok: false, storedBytes: 600 });
    now += 1000;
    expect(await usage.addUpload('acme', b, 400, 1000)).toEqual({ ok: true });
    expect(await usage.addUpload('globex', c, 50, null)).toEqual({ ok: true });
    expect(await usage.read('acme')).toMatchObject({ uploadBytes: 1000 });
    await usage.removeUpload('acme', b);
    await usage.removeUpload('acme', b);
    expect((await usage.read('acme')).uploadBytes).toBe(600);
    expect(await usage.expireUploads(1_000_001)).toBe(1);
    expect((await usage.read('acme')).uploadBytes).toBe(0);
    expect((await usage.read('globex')).uploadBytes).toBe(50);
    expect(await usage.expireUploads(now + 1)).toBe(1);
    expect((await usage.read('globex')).uploadBytes).toBe(0);
  });

  it('expires uploads in batches until none is left', async () => {
    const { usage } = fresh(() => 5);
    for (let i = 0; i < 1203; i++) await usage.addUpload('acme', randomUUID(), 2, null);
    expect((await usage.read('acme')).uploadBytes).toBe(2406);
    expect(await usage.expireUploads(6)).toBe(1203);
    expect((await usage.read('acme')).uploadBytes).toBe(0);
  });

  it('backfills the stored bytes of jobs completed before they were counted, once', async () => {
    const { repo, usage, keys, prefix } = fresh();
    const job = await create(repo);
    await complete(repo, job, [70, 30]);
    // As an older version left it: outputs stored, nothing counted.
    await db.redis.hdel(keys.job(job.id), 'storedBytes');
    await db.redis.del(keys.usage('acme'));
    const backfill = new JobIndexBackfill(db.redis, prefix);
    expect((await backfill.run()).ran).toBe(true);
    expect((await usage.read('acme')).outputBytes).toBe(100);
    await db.redis.del(keys.indexVersion());
    await backfill.run();
    expect((await usage.read('acme')).outputBytes).toBe(100);
  });
});

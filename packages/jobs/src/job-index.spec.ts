import { randomUUID } from 'node:crypto';
import { countRedisCommands, useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { FinishedJobsRepository } from './finished-jobs.repository.js';
import { JobIndexBackfill } from './job-index.backfill.js';
import { JobKeys } from './job-index.keys.js';
import { JobStatsRepository } from './job-stats.repository.js';
import { JobRepository } from './job.repository.js';
import type { Job, JobStatus } from './job.schema.js';

describe('job indexes', () => {
  const db = useRedis();

  /** A repository whose clock moves 1 s per job created, so creation order is the list order. */
  function fresh() {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const prefix = `test-${randomUUID()}`;
    return { prefix, repo: new JobRepository(db.redis, prefix, () => new Date((t += 1000))) };
  }
  const create = (repo: JobRepository, customerId = 'acme') =>
    repo.create({ customerId, input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
  const ids = (jobs: Job[]) => jobs.map((j) => j.id);

  /** Every page of a listing, following nextCursor. */
  async function allPages(repo: JobRepository, status: JobStatus | undefined, limit: number): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const page = await repo.list('acme', { limit, status, cursor });
      out.push(...ids(page.data));
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
    throw new Error('listing did not end');
  }

  it('pages a status filter right while jobs are created and change status between pages', async () => {
    const { repo } = fresh();
    const jobs: Job[] = [];
    for (let i = 0; i < 30; i++) jobs.push(await create(repo));
    for (const j of jobs) await repo.update(j.id, { status: 'failed', finishedAt: new Date().toISOString() });
    const newestFirst = [...ids(jobs)].reverse();

    const p1 = await repo.list('acme', { limit: 10, status: 'failed' });
    expect(ids(p1.data)).toEqual(newestFirst.slice(0, 10));
    // Between pages: five newer jobs fail, the last job listed and one on the next page are
    // retried (no longer failed), an older one is cancelled.
    for (let i = 0; i < 5; i++) {
      const j = await create(repo);
      await repo.update(j.id, { status: 'failed' });
    }
    await repo.update(newestFirst[9]!, { status: 'queued' }, ['failed']);
    await repo.update(newestFirst[12]!, { status: 'queued' }, ['failed']);
    await repo.update(newestFirst[25]!, { status: 'cancelled' }, ['failed']);

    const p2 = await repo.list('acme', { limit: 10, status: 'failed', cursor: p1.nextCursor! });
    const p3 = await repo.list('acme', { limit: 10, status: 'failed', cursor: p2.nextCursor! });
    const expected = newestFirst.slice(10).filter((_, i) => i + 10 !== 12 && i + 10 !== 25);
    expect([...ids(p2.data), ...ids(p3.data)]).toEqual(expected);
    expect(p3.nextCursor).toBeNull();
    expect([...p2.data, ...p3.data].every((j) => j.status === 'failed')).toBe(true);
    // The retried ones are in the queued listing, newest first.
    expect(await allPages(repo, 'queued', 1)).toEqual([newestFirst[9], newestFirst[12]]);
  });

  it('pages every job once, in order, through ties of one millisecond and a cursor whose job left', async () => {
    const prefix = `test-${randomUUID()}`;
    const at = new Date('2026-02-01T00:00:00Z');
    const repo = new JobRepository(db.redis, prefix, () => at); // every job in the same ms
    const jobs = await Promise.all(Array.from({ length: 25 }, () => create(repo)));
    const order = ids(jobs).sort().reverse(); // equal scores: by id, descending
    expect(await allPages(repo, 'queued', 7)).toEqual(order);
    const p1 = await repo.list('acme', { limit: 7, status: 'queued' });
    // Between pages, in the same ms: the cursor's job leaves the index, and jobs arrive, two
    // sorting before the cursor (already passed: not listed) and one after it (listed last).
    await repo.update(order[6]!, { status: 'failed' });
    const late = '00000000-0000-4000-8000-000000000000';
    for (const id of ['ffffffff-ffff-4fff-bfff-ffffffffffff', 'fffffffe-ffff-4fff-bfff-ffffffffffff', late])
      await repo.create({ id, customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    const rest: string[] = [];
    let cursor: string | null = p1.nextCursor;
    while (cursor) {
      const page: { data: Job[]; nextCursor: string | null } = await repo.list('acme', {
        limit: 5,
        status: 'queued',
        cursor,
      });
      rest.push(...ids(page.data));
      cursor = page.nextCursor;
    }
    expect(rest).toEqual([...order.slice(7), late]);
  });

  it('resumes an offset cursor of the previous format after the job at that offset', async () => {
    const { repo } = fresh();
    const jobs: Job[] = [];
    for (let i = 0; i < 6; i++) jobs.push(await create(repo));
    const old = Buffer.from('o:2').toString('base64url');
    expect(ids((await repo.list('acme', { limit: 10, cursor: old })).data)).toEqual(ids(jobs).reverse().slice(2));
    expect((await repo.list('acme', { limit: 10, cursor: Buffer.from('o:99').toString('base64url') })).data).toEqual(
      [],
    );
  });

  it('lists a page of a sparse status with O(page) Redis commands, not a scan of the jobs', async () => {
    const { repo } = fresh();
    const all = await Promise.all(Array.from({ length: 2_000 }, () => create(repo)));
    // One job in 50 failed: the old scan read ~500 hashes to fill a page of 10.
    await Promise.all(all.filter((_, i) => i % 50 === 0).map((j) => repo.update(j.id, { status: 'failed' })));
    const first = await repo.list('acme', { limit: 10, status: 'failed' });
    expect(first.data).toHaveLength(10);
    let page: { data: Job[] } | undefined;
    const cost = await countRedisCommands(
      db.redis,
      async () => (page = await repo.list('acme', { limit: 10, status: 'failed', cursor: first.nextCursor! })),
    );
    expect(page!.data).toHaveLength(10);
    expect(page!.data.every((j) => j.status === 'failed')).toBe(true);
    // EVALSHA, ZREVRANK, ZREVRANGE and one HGETALL per job listed.
    expect(cost.byCommand.hgetall).toBe(10);
    expect(cost.total).toBeLessThanOrEqual(10 + 5);
  });

  it('keeps the finished index and speed counters in step with completes, retries and deletes', async () => {
    const { prefix, repo } = fresh();
    const finished = new FinishedJobsRepository(db.redis, prefix);
    const stats = new JobStatsRepository(db.redis, prefix);
    const a = await create(repo);
    const b = await create(repo);
    const outputs = a.outputs.map((o) => ({ ...o, status: 'completed' as const, durationSeconds: 10 }));
    await repo.update(a.id, {
      status: 'completed',
      outputs,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:04.000Z',
    });
    await repo.update(b.id, { status: 'failed', finishedAt: '2026-01-02T00:00:00.000Z' });
    expect(await finished.finishedBefore(Date.parse('2026-01-01T12:00:00Z'), 10)).toEqual([a.id]);
    expect(await finished.finishedBefore(Date.parse('2026-01-03T00:00:00Z'), 10)).toEqual([a.id, b.id]);
    expect(await stats.counters('acme', [])).toMatchObject({
      counts: { completed: 1, failed: 1, queued: 0 },
      speedSum: 2.5,
      speedCount: 1,
    });
    await repo.update(b.id, { status: 'queued', finishedAt: null }, ['failed']);
    expect(await finished.finishedBefore(Date.parse('2026-01-03T00:00:00Z'), 10)).toEqual([a.id]);
    expect(await repo.delete('acme', a.id)).toBe(true);
    expect(await finished.finishedBefore(Date.parse('2027-01-01T00:00:00Z'), 10)).toEqual([]);
    expect(await stats.counters('acme', [])).toMatchObject({
      counts: { completed: 0, failed: 0, queued: 1 },
      speedCount: 0,
    });
    expect(await repo.delete('acme', a.id)).toBe(false);
  });

  it('backfills the indexes of jobs stored before they existed, once and idempotently', async () => {
    const { prefix, repo } = fresh();
    const keys = new JobKeys(prefix);
    const jobs: Job[] = [];
    for (let i = 0; i < 1_203; i++) jobs.push(await create(repo));
    const outputs = jobs[0]!.outputs.map((o) => ({ ...o, status: 'completed' as const, durationSeconds: 6 }));
    for (const [i, j] of jobs.entries()) {
      if (i % 3 === 0)
        await repo.update(j.id, {
          status: 'completed',
          outputs,
          startedAt: '2026-01-01T00:00:00.000Z',
          finishedAt: '2026-01-01T00:00:03.000Z',
        });
      else if (i % 3 === 1) await repo.update(j.id, { status: 'failed', finishedAt: '2026-01-01T00:00:00.000Z' });
    }
    const globex = await create(repo, 'globex');
    // What a store written by the previous version looks like: hashes and the all-jobs index only.
    const derived = await db.redis.keys(`${prefix}:customer:*:jobs:*`);
    await db.redis.del(...derived, keys.finished(), keys.stats('acme'));
    for (const j of jobs) await db.redis.hdel(keys.job(j.id), 'statsSpeed');
    expect((await repo.list('acme', { limit: 5, status: 'failed' })).data).toEqual([]);

    const backfill = new JobIndexBackfill(db.redis, prefix);
    expect(await backfill.run()).toEqual({ ran: true, customers: 2, jobs: 1_204 });
    const stats = new JobStatsRepository(db.redis, prefix);
    const expected = { counts: { completed: 401, failed: 401, queued: 401 }, speedCount: 401 };
    expect(await stats.counters('acme', [])).toMatchObject(expected);
    expect((await stats.counters('acme', [])).speedSum).toBeCloseTo(401 * 2, 6);
    expect((await stats.counters('globex', [])).counts.queued).toBe(1);
    expect(await allPages(repo, 'failed', 100)).toEqual(ids(jobs.filter((_, i) => i % 3 === 1)).reverse());
    expect(
      (await new FinishedJobsRepository(db.redis, prefix).finishedBefore(Date.parse('2026-02-01T00:00:00Z'), 10_000))
        .length,
    ).toBe(802);
    expect(globex.id).toBeTruthy();

    // Done once: a second start reads one key; forced again, it changes nothing.
    expect(await backfill.run()).toEqual({ ran: false, customers: 0, jobs: 0 });
    await db.redis.del(keys.indexVersion());
    expect((await backfill.run()).jobs).toBe(1_204);
    expect(await stats.counters('acme', [])).toMatchObject(expected);
  });
});

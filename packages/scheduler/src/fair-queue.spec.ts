import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnRedisServer } from '@kiln/stack';
import { useRedis, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairQueue } from './fair-queue.js';
import type { QueuePriority } from './queue-depth.js';

describe('FairQueue', () => {
  const db = useRedis();
  let now = 1_000_000;
  const fresh = () => new FairQueue(db.redis, `test-${randomUUID()}`, () => now);
  const add = (
    q: FairQueue,
    customerId: string,
    jobId: string,
    opts: { priority?: QueuePriority; cap?: number } = {},
  ) => q.enqueue({ jobId, customerId, pool: 'cpu', priority: opts.priority ?? 'normal', runningCap: opts.cap ?? 0 });
  const takeAll = async (q: FairQueue, pool = 'cpu') => {
    const order: string[] = [];
    for (;;) {
      const got = await q.take(pool, 1);
      if (got.length === 0) return order;
      order.push(got[0]!.jobId);
    }
  };

  it("runs a customer's n-th waiting job after every other customer's (n-1)-th", async () => {
    const q = fresh();
    for (let i = 1; i <= 6; i++) await add(q, 'a', `a${i}`);
    for (let i = 1; i <= 2; i++) await add(q, 'b', `b${i}`);
    for (let i = 1; i <= 3; i++) await add(q, 'c', `c${i}`);
    expect(await takeAll(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'c3', 'a4', 'a5', 'a6']);
  });

  it('lets a customer who arrives late go next, not behind the whole backlog of another', async () => {
    const q = fresh();
    for (let i = 1; i <= 5; i++) await add(q, 'a', `a${i}`);
    expect((await q.take('cpu', 3)).map((j) => j.jobId)).toEqual(['a1', 'a2', 'a3']);
    await add(q, 'b', 'b1');
    await add(q, 'b', 'b2');
    // b starts at the pool's virtual clock (the round handed out last), one round ahead of a.
    expect(await takeAll(q)).toEqual(['b1', 'a4', 'b2', 'a5']);
  });

  it("orders a customer's own jobs by priority, then by arrival", async () => {
    const q = fresh();
    await add(q, 'a', 'low1', { priority: 'low' });
    await add(q, 'a', 'n1');
    await add(q, 'a', 'high1', { priority: 'high' });
    await add(q, 'a', 'n2');
    await add(q, 'a', 'high2', { priority: 'high' });
    await add(q, 'b', 'b1', { priority: 'low' });
    // Priorities order jobs inside a customer only: b's low job still gets b's turn.
    expect(await takeAll(q)).toEqual(['high1', 'b1', 'high2', 'n1', 'n2', 'low1']);
  });

  it('moves a waiting job when its priority changes, and refuses once it was handed out', async () => {
    const q = fresh();
    await add(q, 'a', 'a1');
    await add(q, 'a', 'a2');
    await add(q, 'a', 'a3');
    expect(await q.reprioritize('a3', 'high')).toBe(true);
    expect((await q.take('cpu', 1))[0]!.jobId).toBe('a3');
    expect(await q.reprioritize('a3', 'low')).toBe(false);
    expect(await q.reprioritize('a1', 'low')).toBe(true);
    expect(await takeAll(q)).toEqual(['a2', 'a1']);
  });

  it('holds a customer at its running cap back without blocking the others, until a job finishes', async () => {
    const q = fresh();
    for (let i = 1; i <= 3; i++) await add(q, 'a', `a${i}`, { cap: 1 });
    await add(q, 'b', 'b1');
    await add(q, 'b', 'b2');
    expect(await takeAll(q)).toEqual(['a1', 'b1', 'b2']);
    expect(await q.runningOf('a')).toEqual(['a1']);
    await q.started('a1');
    expect(await q.take('cpu', 5)).toEqual([]);
    expect(await q.forget('a1')).toBe(true);
    expect(await q.take('cpu', 5)).toEqual([{ jobId: 'a2', customerId: 'a' }]);
  });

  it('keeps pools apart: a job waits only in its own pool', async () => {
    const q = fresh();
    await q.enqueue({ jobId: 'x1', customerId: 'a', pool: 'av1', priority: 'normal', runningCap: 0 });
    await add(q, 'a', 'c1');
    expect(await takeAll(q, 'cpu')).toEqual(['c1']);
    expect(await takeAll(q, 'av1')).toEqual(['x1']);
    expect(await q.pools()).toEqual(expect.arrayContaining(['cpu', 'av1']));
  });

  it('forgets a cancelled waiting job, and leaves an already waiting job where it is when queued again', async () => {
    const q = fresh();
    await add(q, 'a', 'a1');
    await add(q, 'a', 'a2');
    await add(q, 'a', 'a1'); // a replayed enqueue: no second place in line
    expect(await q.forget('a2')).toBe(true);
    expect(await q.forget('a2')).toBe(false);
    expect(await takeAll(q)).toEqual(['a1']);
  });

  it('counts waiting jobs per priority (with the oldest age) and per customer', async () => {
    const q = fresh();
    now = 1_000_000;
    await add(q, 'a', 'a1', { priority: 'high' });
    now = 1_004_000;
    await add(q, 'a', 'a2');
    await add(q, 'b', 'b1');
    now = 1_010_000;
    expect(await q.byPriority()).toEqual([
      { priority: 'high', waiting: 1, oldestWaitSeconds: 10 },
      { priority: 'normal', waiting: 2, oldestWaitSeconds: 6 },
      { priority: 'low', waiting: 0, oldestWaitSeconds: null },
    ]);
    await q.take('cpu', 1);
    expect(await q.byCustomer()).toEqual([
      { customerId: 'a', waiting: 1, running: 1 },
      { customerId: 'b', waiting: 1, running: 0 },
    ]);
  });

  it('hands jobs out in fair-share order for any arrival pattern (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 30 }),
        async (arrivals) => {
          const q = fresh();
          for (const [i, c] of arrivals.entries()) await add(q, c, `${c}-${i}`);
          const order = await takeAll(q);
          expect(order).toHaveLength(arrivals.length);
          // The n-th job handed out of each customer comes after the (n-1)-th of every other customer that has one.
          const nth = new Map<string, number>();
          const seen = new Map<string, number>();
          for (const id of order) {
            const c = id.split('-')[0]!;
            const n = (nth.get(c) ?? 0) + 1;
            nth.set(c, n);
            for (const other of new Set(arrivals))
              if (other !== c) {
                const has = arrivals.filter((x) => x === other).length;
                if (has >= n - 1) expect(seen.get(other) ?? 0).toBeGreaterThanOrEqual(n - 1);
              }
            seen.set(c, n);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('FairQueue across a Redis restart with AOF', () => {
  it('keeps the line, the virtual times and the running places when Redis is killed and restarted', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kiln-fq-aof-'));
    let server = await spawnRedisServer({ dir, appendOnly: true });
    const port = server.port;
    let redis = new Redis(server.url);
    const prefix = `test-${randomUUID()}`;
    try {
      let q = new FairQueue(redis, prefix);
      const add = (c: string, id: string) =>
        q.enqueue({ jobId: id, customerId: c, pool: 'cpu', priority: 'normal', runningCap: 1 });
      for (const id of ['a1', 'a2', 'a3']) await add('a', id);
      for (const id of ['b1', 'b2']) await add('b', id);
      expect((await q.take('cpu', 1)).map((j) => j.jobId)).toEqual(['a1']);
      // appendfsync everysec: ask for the write to be on disk, then kill Redis without a clean shutdown.
      await redis.call('BGREWRITEAOF');
      await waitFor(async () => !String(await redis.info('persistence')).includes('aof_rewrite_in_progress:1'), {
        timeoutMs: 10_000,
      });
      redis.disconnect();
      await server.child.stop({ signal: 'SIGKILL' });
      server = await spawnRedisServer({ dir, appendOnly: true, port });
      redis = new Redis(server.url);
      q = new FairQueue(redis, prefix);
      expect(await q.runningOf('a')).toEqual(['a1']);
      // a is at its cap of 1: b's jobs go first, then a's once a1 is done.
      expect((await q.take('cpu', 5)).map((j) => j.jobId)).toEqual(['b1']);
      expect(await q.forget('a1')).toBe(true);
      expect((await q.take('cpu', 5)).map((j) => j.jobId)).toEqual(['a2']);
    } finally {
      redis.disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { randomUUID } from 'node:crypto';
import { useRedis, waitFor } from '@kiln/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { JobRepository } from './job.repository.js';
import { bullPrefix, ENCODE_QUEUE, encodeLockKey } from './queue.js';

describe('JobRepository fencing', () => {
  const db = useRedis({ maxRetriesPerRequest: null });
  const setup = async () => {
    const prefix = `test-${randomUUID()}`;
    const repo = new JobRepository(db.redis, prefix);
    const job = await repo.create({ customerId: 'acme', input: 'file:///in/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    return { prefix, repo, job, lockKey: encodeLockKey(prefix, job.id) };
  };

  it("refuses a run's write once another run holds the lock, and takes the new run's", async () => {
    const { repo, job, lockKey } = await setup();
    await db.redis.set(lockKey, 'run-a', 'PX', 60_000);
    const a = await repo.update(job.id, { status: 'probing' }, ['queued'], 'run-a');
    expect(a.ok && a.job).toMatchObject({ status: 'probing', seq: 2 });

    // The lock expired and BullMQ gave the job to run B (a new token, set atomically by moveToActive).
    await db.redis.set(lockKey, 'run-b', 'PX', 60_000);
    expect(await repo.update(job.id, { status: 'storing' }, undefined, 'run-a')).toEqual({
      ok: false,
      reason: 'fenced',
    });
    expect(
      await repo.update(job.id, { status: 'queued', error: { code: 'retrying', message: 'x' } }, undefined, 'run-a'),
    ).toEqual({ ok: false, reason: 'fenced' });
    expect(await repo.get(job.id)).toMatchObject({ status: 'probing', seq: 2, error: null });

    const b = await repo.update(job.id, { status: 'encoding' }, ['probing'], 'run-b');
    expect(b.ok && b.job).toMatchObject({ status: 'encoding', seq: 3 });
  });

  it('refuses a run whose lock expired with no one holding it yet', async () => {
    const { repo, job } = await setup();
    expect(await repo.update(job.id, { status: 'probing' }, undefined, 'run-a')).toEqual({
      ok: false,
      reason: 'fenced',
    });
    expect((await repo.get(job.id))!.seq).toBe(1);
  });

  it('leaves API writes (no token) unfenced, whoever holds the lock', async () => {
    const { repo, job, lockKey } = await setup();
    await db.redis.set(lockKey, 'run-a', 'PX', 60_000);
    const cancel = await repo.update(job.id, { status: 'cancelled' }, ['queued', 'probing', 'encoding', 'storing']);
    expect(cancel.ok && cancel.job.status).toBe('cancelled');
    await db.redis.del(lockKey);
    const retry = await repo.update(job.id, { status: 'queued' }, ['failed', 'cancelled']);
    expect(retry.ok && retry.job).toMatchObject({ status: 'queued', seq: 3 });
    // The status condition still applies to a run holding the lock.
    await db.redis.set(lockKey, 'run-b', 'PX', 60_000);
    await repo.update(job.id, { status: 'cancelled' });
    expect(await repo.update(job.id, { status: 'encoding' }, ['probing'], 'run-b')).toEqual({
      ok: false,
      reason: 'status',
      current: 'cancelled',
    });
    expect(await repo.update('missing', { status: 'encoding' }, undefined, 'run-b')).toEqual({
      ok: false,
      reason: 'not_found',
    });
  });

  it("reads a run's state: the job's status and whether the run still holds the lock", async () => {
    const { repo, job, lockKey } = await setup();
    await db.redis.set(lockKey, 'run-a', 'PX', 60_000);
    expect(await repo.runState(job.id, 'run-a')).toEqual({ status: 'queued', holdsLock: true });
    expect(await repo.runState(job.id, 'run-b')).toEqual({ status: 'queued', holdsLock: false });
    await repo.update(job.id, { status: 'cancelled' });
    expect(await repo.runState(job.id, 'run-a')).toEqual({ status: 'cancelled', holdsLock: true });
    expect(await repo.runState('missing', 'run-a')).toEqual({ status: null, holdsLock: false });
  });

  it('fences with the lock BullMQ itself takes, until that lock expires', async () => {
    const { prefix, repo, job } = await setup();
    const connection = new Redis(db.url, { maxRetriesPerRequest: null });
    const queue = new Queue(ENCODE_QUEUE, { connection, prefix: bullPrefix(prefix) });
    // A worker without a processor: the test takes the job by hand with a token of its choosing.
    const worker = new Worker(ENCODE_QUEUE, null, { connection, prefix: bullPrefix(prefix), lockDuration: 1000 });
    try {
      await queue.add('encode', { jobId: job.id, customerId: 'acme' }, { jobId: job.id });
      const taken = await worker.getNextJob('token-1');
      expect(taken?.id).toBe(job.id);
      const held = await repo.update(job.id, { status: 'probing' }, undefined, 'token-1');
      expect(held.ok).toBe(true);
      expect(await repo.update(job.id, { status: 'encoding' }, undefined, 'token-2')).toEqual({
        ok: false,
        reason: 'fenced',
      });
      // Nothing renews a lock taken by hand: once it lapses, the run's writes stop landing.
      await waitFor(async () => (await repo.runState(job.id, 'token-1')).holdsLock === false, {
        timeoutMs: 5_000,
        intervalMs: 50,
        message: 'the lock to expire',
      });
      expect(await repo.update(job.id, { status: 'encoding' }, undefined, 'token-1')).toEqual({
        ok: false,
        reason: 'fenced',
      });
      expect((await repo.get(job.id))!.status).toBe('probing');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await connection.quit();
    }
  });
});

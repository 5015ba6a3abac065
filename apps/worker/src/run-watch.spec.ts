import { randomUUID } from 'node:crypto';
import { encodeLockKey, JobRepository } from '@kiln/jobs';
import { useRedis, waitFor } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { LockLostError } from './run.errors.js';
import { RunWatch } from './run-watch.js';

const RUNNING = new Set(['queued', 'probing', 'encoding', 'storing']);

describe('RunWatch', () => {
  const db = useRedis();
  const setup = async () => {
    const prefix = `test-${randomUUID()}`;
    const repo = new JobRepository(db.redis, prefix);
    const job = await repo.create({ customerId: 'acme', input: 'file:///in/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    const lockKey = encodeLockKey(prefix, job.id);
    await db.redis.set(lockKey, 'run-a', 'PX', 60_000);
    const watch = new RunWatch({
      read: () => repo.runState(job.id, 'run-a'),
      runnable: (s) => RUNNING.has(s),
      intervalMs: 50,
    }).start();
    return { repo, job, lockKey, watch };
  };

  it('aborts the run when the job is cancelled, with no message needed', async () => {
    const { repo, job, watch } = await setup();
    await new Promise((r) => setTimeout(r, 200));
    expect(watch.signal.aborted, 'a running job is left alone').toBe(false);
    await repo.update(job.id, { status: 'cancelled' });
    await waitFor(() => watch.signal.aborted, { timeoutMs: 2_000, message: 'the watch to abort the run' });
    expect(watch.reason).toBe('cancelled');
  });

  it('aborts the run with a LockLostError once another run holds the lock', async () => {
    const { lockKey, watch } = await setup();
    await db.redis.set(lockKey, 'run-b', 'PX', 60_000);
    await waitFor(() => watch.signal.aborted, { timeoutMs: 2_000, message: 'the watch to abort the run' });
    expect(watch.reason).toBe('lock_lost');
    expect(watch.signal.reason).toBeInstanceOf(LockLostError);
  });

  it('combines with an upstream signal and stops checking once closed', async () => {
    const { repo, job } = await setup();
    const upstream = new AbortController();
    const watch = new RunWatch({
      read: () => repo.runState(job.id, 'run-a'),
      runnable: (s) => RUNNING.has(s),
      intervalMs: 50,
      upstream: upstream.signal,
    }).start();
    watch.close();
    await repo.update(job.id, { status: 'cancelled' });
    await new Promise((r) => setTimeout(r, 200));
    expect(watch.signal.aborted, 'a closed watch does not abort').toBe(false);
    upstream.abort('cancel message');
    expect({ aborted: watch.signal.aborted, reason: watch.signal.reason as unknown }).toEqual({
      aborted: true,
      reason: 'cancel message',
    });
  });
});

import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { ChunkPlanRepository } from './chunk-plan.repository.js';
import { JobRepository } from './job.repository.js';

describe('ChunkPlanRepository', () => {
  const db = useRedis();
  const fresh = () => new ChunkPlanRepository(db.redis, `test-${randomUUID()}`);
  const plan = (id: string, fingerprint = 'fp-1') => ({ id, fingerprint, plan: JSON.stringify({ chunks: [1, 2, 3] }) });

  it('keeps the plan of the same fingerprint (a new attempt resumes it) and replaces another', async () => {
    const plans = fresh();
    const first = await plans.create('job-1', plan('p1'));
    expect(first.id).toBe('p1');
    await plans.commit('job-1', 'p1', 0, '{"runId":"r1"}');
    const again = await plans.create('job-1', plan('p2'));
    expect(again.id).toBe('p1');
    expect([...again.done.keys()]).toEqual([0]);
    const other = await plans.create('job-1', plan('p3', 'fp-2'));
    expect(other.id).toBe('p3');
    expect(other.done.size).toBe(0);
  });

  it('lets the first run of a chunk commit it, and refuses a stale plan or a lost lock', async () => {
    const plans = fresh();
    await plans.create('job-1', plan('p1'));
    expect(await plans.commit('job-1', 'p1', 2, '{"runId":"a"}')).toBe('stored');
    expect(await plans.commit('job-1', 'p1', 2, '{"runId":"b"}')).toBe('exists');
    expect((await plans.get('job-1'))!.done.get(2)).toBe('{"runId":"a"}');
    expect(await plans.commit('job-1', 'old-plan', 3, '{"runId":"c"}')).toBe('stale');
    await db.redis.set('lock-of-chunk-3', 'token-now');
    expect(await plans.commit('job-1', 'p1', 3, '{}', { key: 'lock-of-chunk-3', token: 'token-before' })).toBe(
      'fenced',
    );
    expect(await plans.commit('job-1', 'p1', 3, '{}', { key: 'lock-of-chunk-3', token: 'token-now' })).toBe('stored');
    expect(await plans.isStored('job-1', 'p1', 3)).toBe(true);
    expect(await plans.isStored('job-1', 'p1', 4)).toBe(false);
  });

  it("sums the parts' encoded seconds, each never going back (a chunk run again starts from 0)", async () => {
    const plans = fresh();
    await plans.create('job-1', plan('p1'));
    expect(await plans.progress('job-1', 'p1', 'chunk:0', 12.5)).toBe(12.5);
    expect(await plans.progress('job-1', 'p1', 'chunk:1', 4)).toBe(16.5);
    // chunk 0's worker died; its re-run reports from the start again
    expect(await plans.progress('job-1', 'p1', 'chunk:0', 1)).toBe(16.5);
    expect(await plans.progress('job-1', 'p1', 'chunk:0', 20)).toBe(24);
    expect(await plans.progress('job-1', 'other', 'chunk:0', 20)).toBeNull();
  });

  it('records a failed chunk only while it is not stored, and forgets the failure when a run stores it', async () => {
    const plans = fresh();
    await plans.create('job-1', plan('p1'));
    expect(await plans.fail('job-1', 'p1', 1, '{"code":"chunk_frame_mismatch"}')).toBe(true);
    expect((await plans.get('job-1'))!.failed.get(1)).toContain('chunk_frame_mismatch');
    expect(await plans.commit('job-1', 'p1', 1, '{}')).toBe('stored');
    expect((await plans.get('job-1'))!.failed.size).toBe(0);
    expect(await plans.fail('job-1', 'p1', 1, '{}')).toBe(false);
    expect(await plans.fail('job-1', 'p0', 2, '{}')).toBe(false);
  });

  it('removes a plan only when it is the one named', async () => {
    const plans = fresh();
    await plans.create('job-1', plan('p1'));
    await plans.remove('job-1', 'p0');
    expect(await plans.get('job-1')).not.toBeNull();
    await plans.remove('job-1', 'p1');
    expect(await plans.get('job-1')).toBeNull();
    expect(await db.redis.exists(plans.key('job-1'))).toBe(0);
  });

  it('expires a plan by itself (a crash leaves nothing for ever)', async () => {
    const plans = fresh();
    await plans.create('job-1', plan('p1'));
    const ttl = await db.redis.ttl(plans.key('job-1'));
    expect(ttl).toBeGreaterThan(24 * 3600);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
  });
});

describe('JobRepository.advanceProgress', () => {
  const db = useRedis();

  it('stores a progress only ahead of the stored one, in the statuses given', async () => {
    const repo = new JobRepository(db.redis, `test-${randomUUID()}`);
    const job = await repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] });
    const p = (percent: number) => ({ percent, fps: null, speed: 2, etaSeconds: 10 });
    expect(await repo.advanceProgress(job.id, p(10), ['encoding'])).toMatchObject({ ok: false, reason: 'status' });
    await repo.update(job.id, { status: 'encoding' });
    const ahead = await repo.advanceProgress(job.id, p(40), ['encoding']);
    expect(ahead.ok && ahead.job.progress.percent).toBe(40);
    expect(await repo.advanceProgress(job.id, p(35), ['encoding'])).toEqual({ ok: false, reason: 'behind' });
    expect(await repo.advanceProgress(job.id, p(40), ['encoding'])).toEqual({ ok: false, reason: 'behind' });
    const stored = await repo.get(job.id);
    expect(stored!.progress.percent).toBe(40);
    const seq = stored!.seq;
    const next = await repo.advanceProgress(job.id, p(41.5), ['encoding']);
    expect(next.ok && next.job.seq).toBe(seq + 1);
    expect(await repo.advanceProgress('missing', p(50), ['encoding'])).toEqual({ ok: false, reason: 'not_found' });
  });
});

import { randomUUID } from 'node:crypto';
import { CustomerLimits } from '@kiln/config';
import { JobLimitExceededError, JobRepository, UsageRepository } from '@kiln/jobs';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { QueuedJobsLimitError, StoredBytesLimitError } from '../http.errors.js';
import { DEFAULT_QUEUED_RETRY_AFTER_S, UsageService, type RetryAfterEstimate } from './usage.service.js';

describe('UsageService', () => {
  const db = useRedis();
  const limits = new CustomerLimits({ running: null, queued: 1, storedBytes: 2048 });

  async function atQueuedLimit(queuedRetryAfter?: RetryAfterEstimate) {
    const prefix = `test-${randomUUID()}`;
    const service = new UsageService({ repo: new UsageRepository(db.redis, prefix), limits, queuedRetryAfter });
    const repo = new JobRepository(db.redis, prefix);
    const create = () =>
      repo.create({
        customerId: 'acme',
        input: 'https://x/a.mp4',
        outputs: [{ preset: 'mp4-360p' }],
        limits: limits.for('acme'),
      });
    await create();
    const err = await create().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobLimitExceededError);
    return service.refusal('acme', err as JobLimitExceededError);
  }

  it('tells a customer at its queued limit to come back after the estimate, in whole seconds', async () => {
    const refusal = await atQueuedLimit(async (customerId) => (customerId === 'acme' ? 12.2 : 1));
    expect(refusal).toBeInstanceOf(QueuedJobsLimitError);
    expect(refusal).toMatchObject({
      code: 'queued_jobs_limit',
      status: 429,
      retryAfterSeconds: 13,
      limit: 'queued',
      usage: { queued: { used: 1, limit: 1 }, storedBytes: { used: 0, limit: 2048 } },
    });
  });

  it('falls back to the default wait when there is no estimate, or it fails or makes no sense', async () => {
    expect((await atQueuedLimit()).retryAfterSeconds).toBe(DEFAULT_QUEUED_RETRY_AFTER_S);
    expect((await atQueuedLimit(() => Number.NaN)).retryAfterSeconds).toBe(DEFAULT_QUEUED_RETRY_AFTER_S);
    expect((await atQueuedLimit(() => -5)).retryAfterSeconds).toBe(DEFAULT_QUEUED_RETRY_AFTER_S);
    const failing = () => Promise.reject(new Error('scheduler away'));
    expect((await atQueuedLimit(failing)).retryAfterSeconds).toBe(DEFAULT_QUEUED_RETRY_AFTER_S);
  });

  it('never sets Retry-After on the stored-bytes refusal, and names the limit in bytes and units', async () => {
    const service = new UsageService({ repo: new UsageRepository(db.redis, `test-${randomUUID()}`), limits });
    const refusal = await service.storedBytesRefusal('acme', 4096);
    expect(refusal).toBeInstanceOf(StoredBytesLimitError);
    expect(refusal.retryAfterSeconds).toBeUndefined();
    expect(refusal.message).toMatch(/stored=2048, 2 KB.*this upload of 4096 bytes does not fit; delete finished jobs/);
    expect(await service.room('acme')).toBe(2048);
    expect(
      await new UsageService({
        repo: new UsageRepository(db.redis, 'x'),
        limits: new CustomerLimits({ running: null, queued: null, storedBytes: null }),
      }).room('acme'),
    ).toBe(Number.POSITIVE_INFINITY);
  });
});

import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobKeys, type Job } from '@kiln/jobs';
import { makeClip, startApp, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const DAY = 86_400_000;

describe('retention: KILN_JOB_TTL_DAYS in the running API', () => {
  let stack: TestStack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack({ customers: ['acme'], env: { KILN_JOB_TTL_DAYS: '30' } });
    redis = new Redis(stack.redisUrl);
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  it('deletes an encoded job finished past the TTL with its output files when the API starts, and keeps a recent one', async () => {
    const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 320, height: 240, audio: false }), clip);
    const run = async () => {
      const created = await api<Job>('POST', '/v1/jobs', {
        input: pathToFileURL(clip).href,
        outputs: [{ preset: 'mp4-360p' }],
      });
      expect(created.status).toBe(202);
      let job: Job | undefined;
      await waitFor(
        async () => (job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body).status === 'completed',
        { timeoutMs: 60_000, message: 'job to complete' },
      );
      return job!;
    };
    const [old, recent] = [await run(), await run()];
    const stored = () => readdir(path.join(stack.storageDir, 'acme')).catch((): string[] => []);
    expect(await stored()).toEqual(expect.arrayContaining([old.id, recent.id]));

    // Age the first job as if it finished 40 days ago (the worker's real finishedAt indexed it),
    // then restart the API: the sweep runs at start.
    const finished = new JobKeys(stack.prefix).finished();
    expect(await redis.zscore(finished, old.id)).not.toBeNull();
    await redis.zadd(finished, Date.now() - 40 * DAY, old.id);
    await stack.apps.api!.stop();
    stack.apps.api = await startApp('api', { env: stack.env, port: Number(new URL(stack.apiUrl).port) });

    await waitFor(async () => (await api('GET', `/v1/jobs/${old.id}`)).status === 404, {
      timeoutMs: 20_000,
      message: 'expired job to be deleted',
    });
    expect(await stored()).not.toContain(old.id);
    expect((await api<Job>('GET', `/v1/jobs/${recent.id}`)).body.status).toBe('completed');
    expect(await stored()).toContain(recent.id);
    const stats = await api<{ counts: Record<string, number> }>('GET', '/v1/stats');
    expect(stats.body.counts.completed).toBe(1);
    const listed = await api<{ data: Job[] }>('GET', '/v1/jobs?status=completed');
    expect(listed.body.data.map((j) => j.id)).toEqual([recent.id]);
  }, 120_000);
});

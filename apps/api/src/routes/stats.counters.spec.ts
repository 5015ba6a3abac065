import type { Job, JobOutput } from '@kiln/jobs';
import { countRedisCommands } from '@kiln/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, useApiHarness } from '../testing/api-harness.js';

describe('GET /v1/stats counters', () => {
  const harness = useApiHarness();
  const app = () => harness().app;

  const stats = async () =>
    (await request(app()).get('/v1/stats').set(bearer())).body as {
      counts: Record<string, number>;
      meanEncodeSpeed: number | null;
      scannedJobs: number;
    };
  /** 10,000 more queued jobs, newer than the ones a test changes: past the old scan's reach. */
  const MORE = 10_000;
  async function expectCounts(expected: Record<string, number>, meanEncodeSpeed: number | null) {
    const s = await stats();
    const zero = { queued: 0, probing: 0, encoding: 0, storing: 0, completed: 0, failed: 0, cancelled: 0 };
    expect(s.counts).toEqual({ ...zero, ...expected, queued: MORE + (expected.queued ?? 0) });
    expect(s.meanEncodeSpeed).toBe(meanEncodeSpeed);
    expect(s.scannedJobs).toBe(MORE + Object.values(expected).reduce((n, c) => n + c, 0));
  }
  const post = async () =>
    (
      await request(app())
        .post('/v1/jobs')
        .set(bearer())
        .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs: [{ preset: 'mp4-360p' }] })
    ).body as Job;

  it('are right after create, complete, fail, cancel, retry and delete', async () => {
    const [a, b, c] = [await post(), await post(), await post()];
    for (let i = 0; i < MORE; i += 2_000)
      await Promise.all(
        Array.from({ length: 2_000 }, () =>
          harness().repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] }),
        ),
      );
    await expectCounts({ queued: 3 }, null);

    // A worker runs a: probing (started), then completed with a 12 s output in 4 s (3x).
    await harness().repo.update(a.id, { status: 'probing', startedAt: '2026-01-01T00:00:00.000Z', attempts: 1 });
    await expectCounts({ queued: 2, probing: 1 }, null);
    const outputs: JobOutput[] = a.outputs.map((o) => ({ ...o, status: 'completed', durationSeconds: 12 }));
    await harness().repo.update(a.id, { status: 'storing', outputs });
    await harness().repo.update(a.id, { status: 'completed', finishedAt: '2026-01-01T00:00:04.000Z' });
    await expectCounts({ queued: 2, completed: 1 }, 3);

    await harness().repo.update(b.id, {
      status: 'failed',
      error: { code: 'invalid_input', message: 'x' },
      finishedAt: new Date().toISOString(),
    });
    expect((await request(app()).post(`/v1/jobs/${c.id}/cancel`).set(bearer())).status).toBe(200);
    await expectCounts({ queued: 0, completed: 1, failed: 1, cancelled: 1 }, 3);

    expect((await request(app()).post(`/v1/jobs/${b.id}/retry`).set(bearer())).status).toBe(202);
    await expectCounts({ queued: 1, completed: 1, failed: 0, cancelled: 1 }, 3);

    expect((await request(app()).delete(`/v1/jobs/${a.id}`).set(bearer())).status).toBe(204);
    expect((await request(app()).delete(`/v1/jobs/${c.id}`).set(bearer())).status).toBe(204);
    await expectCounts({ queued: 1, completed: 0, cancelled: 0 }, null);
  }, 60_000);

  it('cost the same few Redis commands with 10 jobs or 2,000', async () => {
    await harness().redis.del(...(await harness().redis.keys(`${harness().prefix}:*`)));
    const created = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness().repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] }),
      ),
    );
    const small = await countRedisCommands(harness().redis, () => request(app()).get('/v1/stats').set(bearer()));
    await Promise.all(
      Array.from({ length: 1_990 }, () =>
        harness().repo.create({ customerId: 'acme', input: 'https://x/a.mp4', outputs: [{ preset: 'mp4-360p' }] }),
      ),
    );
    const large = await countRedisCommands(harness().redis, () => request(app()).get('/v1/stats').set(bearer()));
    expect(created).toHaveLength(10);
    expect(large.total).toBe(small.total);
    expect(large.total).toBeLessThanOrEqual(40);
  });
});

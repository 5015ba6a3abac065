import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { spawnRedisServer, type RedisServerHandle } from '@kiln/stack';
import { getFreePort, makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllJobs, waitForFinalJobs, submitJobs, waitForCompleted } from '../support/job-listing.js';
import { startTestStackOnRedis } from '../support/stack-on-redis.js';
import { apiClient, type TestStack } from '../support/stack-harness.js';

describe('Redis restarted mid-run with AOF on', () => {
  let dir: string;
  let port: number;
  let redis: RedisServerHandle;
  let stack: TestStack;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-aof-'));
    port = await getFreePort();
    redis = await spawnRedisServer({ dir, port, appendOnly: true });
    stack = await startTestStackOnRedis(redis.url, {
      customers: ['acme'],
      workers: 1,
      env: {
        KILN_WORKER_CONCURRENCY: '2',
        KILN_WORKER_STALLED_S: '3',
        KILN_RATE_LIMIT_PER_MIN: '0',
        KILN_LOG_LEVEL: 'info',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'completes every job submitted before the restart, and takes new ones after it',
    { timeout: 150_000 },
    async () => {
      const acme = stack.customers[0]!;
      const api = apiClient(stack.apiUrl, acme.key);
      const clip = path.join(stack.inputRoot, 'clip.mp4');
      await copyFile(await makeClip({ seconds: 2, width: 320, height: 240 }), clip);
      const input = pathToFileURL(clip).href;

      const before = await submitJobs(api, input, 20);
      // Mid-run: some jobs done, others still queued or encoding.
      await waitForCompleted(stack.apiUrl, acme.key, 2);
      const atStop = await listAllJobs(stack.apiUrl, acme.key);
      expect(
        atStop.filter((j) => j.status !== 'completed').length,
        'jobs still to do when Redis stops',
      ).toBeGreaterThan(0);

      await redis.stop(); // SIGTERM: Redis writes its AOF and exits
      expect(redis.child.alive).toBe(false);
      await new Promise((r) => setTimeout(r, 2000));
      redis = await spawnRedisServer({ dir, port, appendOnly: true });

      // Every app is still running: none crashed on the lost connection.
      for (const [name, app] of Object.entries(stack.apps))
        expect(app.child.alive, `${name} alive after the restart`).toBe(true);

      // The API is connected again and takes new work. Until it has reconnected it answers 503
      // with Retry-After (it no longer holds requests in an offline queue), so wait for /readyz.
      await waitFor(async () => (await fetch(`${stack.apiUrl}/readyz`)).status === 200, {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: 'the API to be ready after the restart',
      });
      const after: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await api<Job>('POST', '/v1/jobs', {
          input,
          outputs: [{ preset: 'mp4-360p' }],
          metadata: { after: String(i) },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        after.push(res.body.id);
      }

      const final = await waitForFinalJobs(stack.apiUrl, acme.key, [...before, ...after], { timeoutMs: 90_000 });
      const notCompleted = [...final.values()].filter((j) => j.status !== 'completed');
      expect(notCompleted.map((j) => ({ id: j.id, status: j.status, error: j.error }))).toEqual([]);
      // Nothing submitted before the restart was lost (the AOF kept the queue and the job records).
      expect((await listAllJobs(stack.apiUrl, acme.key)).map((j) => j.id).sort()).toEqual([...before, ...after].sort());
      for (const id of [...before, ...after]) {
        const res = await fetch(`${stack.apiUrl}/v1/jobs/${id}/outputs/mp4-360p`, {
          headers: { authorization: `Bearer ${acme.key}` },
        });
        expect(res.status, id).toBe(200);
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
      }
    },
  );
});

import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bullPrefix, ENCODE_QUEUE, type Job } from '@kiln/jobs';
import { spawnRedisServer, type RedisServerHandle } from '@kiln/stack';
import { getFreePort, makeClip, waitFor } from '@kiln/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllJobs, waitForFinalJobs } from '../support/job-listing.js';
import { startTestStackOnRedis } from '../support/stack-on-redis.js';
import type { TestStack } from '../support/stack-harness.js';

/** The spec: with Redis down or hung, an API request answers within this. */
const BOUND_MS = 2_000;
const REFUSED_PER_OUTAGE = 5;

interface Timed {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: { error?: { code?: string } } & Record<string, unknown>;
}

/** One request, timed; a request that hangs is given up on after 10 s (status 0), as a client would. */
async function timed(url: string, init: RequestInit = {}): Promise<Timed> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body: Timed['body'] = {};
    try {
      body = JSON.parse(text) as Timed['body'];
    } catch {
      body = { text };
    }
    return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after'), body };
  } catch {
    return { status: 0, ms: performance.now() - t0, retryAfter: null, body: {} };
  }
}

describe('Redis down or hung: the API answers 503 at once, and nothing it refused runs later', () => {
  let dir: string;
  let port: number;
  let redis: RedisServerHandle;
  let stack: TestStack;
  let input: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-outage-'));
    port = await getFreePort();
    redis = await spawnRedisServer({ dir, port, appendOnly: true });
    stack = await startTestStackOnRedis(redis.url, {
      customers: ['acme'],
      workers: 1,
      env: { KILN_LOG_LEVEL: 'info' },
    });
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 160, height: 120 }), clip);
    input = pathToFileURL(clip).href;
  }, 120_000);
  afterAll(async () => {
    if (redis?.child.pid && redis.child.alive) process.kill(redis.child.pid, 'SIGCONT');
    await stack?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const acme = () => stack.customers[0]!;
  const headers = () => ({ authorization: `Bearer ${acme().key}`, 'content-type': 'application/json' });
  const submit = (tag: string) =>
    timed(`${stack.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ input, outputs: [{ preset: 'mp4-360p' }], metadata: { tag } }),
    });

  async function acceptedJobs(tag: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await submit(`${tag}-${i}`);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      ids.push(res.body.id as string);
    }
    return ids;
  }

  /** While Redis is out: job creations, a read and /readyz all answer 503 within the bound; /healthz stays 200. */
  async function refusedDuringOutage(tag: string): Promise<void> {
    const answers: Timed[] = [];
    for (let i = 0; i < REFUSED_PER_OUTAGE; i++) answers.push(await submit(`${tag}-${i}`));
    answers.push(await timed(`${stack.apiUrl}/v1/jobs?limit=5`, { headers: headers() }));
    for (const a of answers) {
      expect
        .soft({
          status: a.status,
          code: a.body.error?.code,
          retryAfter: a.retryAfter !== null && Number(a.retryAfter) > 0,
        })
        .toEqual({ status: 503, code: 'redis_unavailable', retryAfter: true });
      expect.soft(a.ms, 'answered within the bound').toBeLessThan(BOUND_MS);
    }
    const ready = await timed(`${stack.apiUrl}/readyz`);
    expect(ready.ms).toBeLessThan(BOUND_MS);
    expect({ status: ready.status, redis: (ready.body.checks as Record<string, unknown>)?.redis }).toEqual({
      status: 503,
      redis: false,
    });
    const alive = await timed(`${stack.apiUrl}/healthz`);
    expect(alive.status).toBe(200);
  }

  async function waitUntilReady(): Promise<void> {
    await waitFor(async () => (await fetch(`${stack.apiUrl}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'the API to be ready again',
    });
  }

  /** What Redis holds: job records and BullMQ entries (in any state), by id. */
  async function storedIds(): Promise<{ records: string[]; queued: string[] }> {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(ENCODE_QUEUE, { connection: conn, prefix: bullPrefix(stack.prefix) });
    try {
      const records = (await conn.keys(`${stack.prefix}:job:*`)).map((k) => k.slice(`${stack.prefix}:job:`.length));
      const queued = (
        await queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'prioritized', 'waiting-children'])
      ).map((j) => j.id!);
      return { records: records.sort(), queued: [...new Set(queued)].sort() };
    } finally {
      await queue.close();
      await conn.quit();
    }
  }

  it(
    'SIGSTOP (hung) and SIGKILL (gone, restarted on its port): 503 + Retry-After within 2 s; after recovery exactly the accepted jobs exist and ran',
    { timeout: 180_000 },
    async () => {
      const accepted = await acceptedJobs('before', 2);
      await waitForFinalJobs(stack.apiUrl, acme().key, accepted, { timeoutMs: 60_000 });

      // Hung: the process exists and its port accepts, but nothing answers.
      process.kill(redis.child.pid!, 'SIGSTOP');
      try {
        await refusedDuringOutage('hung');
      } finally {
        process.kill(redis.child.pid!, 'SIGCONT');
      }
      await waitUntilReady();
      accepted.push(...(await acceptedJobs('after-hung', 2)));

      // Gone: killed outright, then back on the same port from its AOF.
      await waitForFinalJobs(stack.apiUrl, acme().key, accepted, { timeoutMs: 60_000 });
      process.kill(redis.child.pid!, 'SIGKILL');
      await redis.child.exited;
      await refusedDuringOutage('gone');
      redis = await spawnRedisServer({ dir, port, appendOnly: true });
      await waitUntilReady();
      accepted.push(...(await acceptedJobs('after-gone', 2)));

      const final = await waitForFinalJobs(stack.apiUrl, acme().key, accepted, { timeoutMs: 60_000 });
      expect(
        [...final.values()]
          .filter((j) => accepted.includes(j.id) && j.status !== 'completed')
          .map((j) => ({ id: j.id, status: j.status, error: j.error })),
      ).toEqual([]);
      // Anything a refused request left behind would have landed when Redis came back; the jobs
      // accepted since then have run, so it would be here by now.
      const listed = await listAllJobs(stack.apiUrl, acme().key);
      expect(listed.map((j: Job) => `${j.metadata.tag} ${j.status}`).sort()).toEqual([
        'after-gone-0 completed',
        'after-gone-1 completed',
        'after-hung-0 completed',
        'after-hung-1 completed',
        'before-0 completed',
        'before-1 completed',
      ]);
      const stored = await storedIds();
      expect(stored.records).toEqual([...accepted].sort());
      expect(stored.queued).toEqual([...accepted].sort());
    },
  );
});

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { bullPrefix, ENCODE_QUEUE, type Job } from '@kiln/jobs';
import { spawnRedisServer, type RedisServerHandle } from '@kiln/stack';
import { getFreePort, makeClip, waitFor } from '@kiln/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForFinalJobs } from '../support/job-listing.js';
import { isFfmpeg, listProcesses, tempOutputOf, type ProcessRow } from '../support/process-tree.js';
import { startTestStackOnRedis } from '../support/stack-on-redis.js';
import { apiClient, type TestStack } from '../support/stack-harness.js';

const STALLED_S = 5;
const PAUSE_MS = 40_000;

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest('hex')}`;
}

const running = async (pid: number): Promise<boolean> =>
  (await listProcesses()).some((p) => p.pid === pid && isFfmpeg(p));

describe(`Redis SIGSTOPped for ${PAUSE_MS / 1000} s (past KILN_WORKER_STALLED_S=${STALLED_S}) during an encode, two workers`, () => {
  let dir: string;
  let redis: RedisServerHandle;
  let stack: TestStack;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-fencing-'));
    redis = await spawnRedisServer({ dir, port: await getFreePort() });
    stack = await startTestStackOnRedis(redis.url, {
      customers: ['acme'],
      workers: 2,
      env: { KILN_WORKER_STALLED_S: String(STALLED_S), KILN_LOG_LEVEL: 'info', KILN_PROGRESS_INTERVAL_MS: '500' },
    });
  }, 60_000);
  afterAll(async () => {
    if (redis?.child.pid) process.kill(redis.child.pid, 'SIGCONT');
    await stack?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'leaves exactly one completed run: the stale one stops its ffmpeg and writes nothing',
    { timeout: 150_000 },
    async () => {
      const acme = stack.customers[0]!;
      const api = apiClient(stack.apiUrl, acme.key);
      const clip = path.join(stack.inputRoot, 'clip.mp4');
      await copyFile(await makeClip({ seconds: 30, width: 640, height: 360, audio: false }), clip);
      const created = await api<Job>('POST', '/v1/jobs', {
        input: pathToFileURL(clip).href,
        outputs: [{ preset: 'mp4-360p' }],
      });
      expect(created.status).toBe(202);
      const id = created.body.id;

      // The first run, well into its encode: a third done, its ffmpeg writing its output file.
      let stale: ProcessRow | undefined;
      await waitFor(
        async () => {
          const { status, progress } = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
          if (status !== 'encoding' || progress.percent < 30) return false;
          stale = (await listProcesses()).find(
            (p) => isFfmpeg(p) && p.args.includes(id) && existsSync(tempOutputOf(p) ?? '/nonexistent'),
          );
          return stale !== undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: "the job's encode to be a third done" },
      );
      const runner = Object.entries(stack.apps).find(([, app]) => app.child.pid === stale!.ppid)?.[0];
      expect(runner, 'a worker of this stack runs the job').toMatch(/^worker/);

      // Redis freezes; the job's lock (5 s) expires meanwhile. The first run's ffmpeg is frozen as
      // well, so it still has its whole encode ahead when Redis comes back, as a long job would:
      // a run that does not stop it leaves it there (SIGKILL still ends a stopped process).
      process.kill(redis.child.pid!, 'SIGSTOP');
      process.kill(stale!.pid, 'SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        process.kill(redis.child.pid!, 'SIGCONT');

        // The stale run finds its lock gone and stops its ffmpeg, long before that encode could end.
        await waitFor(async () => !(await running(stale!.pid)), {
          timeoutMs: 10_000,
          intervalMs: 100,
          message: "the stale run's ffmpeg to be stopped",
        });
      } finally {
        process.kill(redis.child.pid!, 'SIGCONT');
        // A run that did not stop it goes on encoding, as it would have without the freeze.
        if (await running(stale!.pid)) process.kill(stale!.pid, 'SIGCONT');
      }

      // Another run (either worker) takes the job over and completes it.
      const job = (await waitForFinalJobs(stack.apiUrl, acme.key, [id], { timeoutMs: 90_000 })).get(id)!;
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
      const logs = (name: string) =>
        stack.apps[name]!.logs()
          .split('\n')
          .filter((l) => l.includes(`"jobId":"${id}"`));

      // Exactly one run completed it, and the record describes the file that is stored.
      const workers = Object.keys(stack.apps).filter((n) => n.startsWith('worker'));
      expect(
        workers.flatMap((n) => logs(n).filter((l) => l.includes('"msg":"job completed"'))).length,
        'runs that completed the job',
      ).toBe(1);
      const output = job.outputs[0]!;
      const file = path.join(stack.storageDir, acme.id, id, 'mp4-360p.mp4');
      expect({ status: output.status, checksum: await sha256(file) }).toEqual({
        status: 'completed',
        checksum: output.checksum,
      });
      expect(await readdir(path.dirname(file)), 'the job folder holds the output and no scratch file').toEqual([
        'mp4-360p.mp4',
      ]);

      // Nothing stranded: BullMQ has the job completed, and the record stays completed.
      const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(ENCODE_QUEUE, { connection, prefix: bullPrefix(stack.prefix) });
      try {
        await waitFor(async () => (await (await queue.getJob(id))?.getState()) === 'completed', {
          timeoutMs: 10_000,
          message: 'BullMQ to hold the job as completed',
        });
      } finally {
        await queue.close();
        await connection.quit();
      }
      const again = await api<Job>('GET', `/v1/jobs/${id}`);
      expect({ status: again.body.status, seq: again.body.seq }).toEqual({ status: 'completed', seq: job.seq });
      // And the stale run says why it wrote nothing.
      await waitFor(() => logs(runner!).some((l) => l.includes('stopped without writing')), {
        timeoutMs: 10_000,
        message: 'the stale run to log that it stopped',
      });
    },
  );
});

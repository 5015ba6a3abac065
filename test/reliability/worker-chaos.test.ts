import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor, type AppHandle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllJobs, waitForFinalJobs } from '../support/job-listing.js';
import { killHard } from '../support/process-tree.js';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const JOBS = 300;
const KILLS = 8;
const KILL_EVERY_MS = 3000;

describe('worker chaos: SIGKILLed workers lose no job and finish none twice', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 3,
      env: {
        KILN_WORKER_CONCURRENCY: '2',
        KILN_WORKER_STALLED_S: '2',
        KILN_SHUTDOWN_GRACE_S: '1',
        KILN_PROGRESS_INTERVAL_MS: '1000',
        KILN_RATE_LIMIT_PER_MIN: '0',
        KILN_LOG_LEVEL: 'info',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`completes ${JOBS} jobs exactly once while a worker is SIGKILLed every ~3 s`, { timeout: 200_000 }, async () => {
    const acme = stack.customers[0]!;
    const api = apiClient(stack.apiUrl, acme.key);
    const clip = path.join(stack.inputRoot, 'tiny.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 160, height: 120 }), clip);
    const input = pathToFileURL(clip).href;

    // A watcher on the customer channel for the whole run; the gate is open once `sync` arrives.
    const watcher = await connectCustomerClient(stack.apiUrl, acme.key);
    try {
      await watcher.subscribed;
      await waitFor(() => watcher.events.some((e) => e.name === 'sync'), { timeoutMs: 10_000, message: 'sync (gate open)' });

      const t0 = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, JOBS - i) }, () => api<Job>('POST', '/v1/jobs', { input, outputs: [{ preset: 'mp4-360p' }] })),
        );
        for (const res of batch) {
          expect(res.status, JSON.stringify(res.body)).toBe(202);
          ids.push(res.body.id);
        }
      }

      process.stderr.write(`submitted ${Date.now()-t0}\n`);
      // Chaos: SIGKILL a random live worker (and its ffmpeg children), start a replacement.
      let kills = 0;
      let encodesInterrupted = 0;
      const workers = () => Object.entries(stack.apps).filter(([name, app]) => name.startsWith('worker') && app.child.alive) as [string, AppHandle][];
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS * (0.7 + Math.random() * 0.6)));
        const live = workers();
        const [, victim] = live[Math.floor(Math.random() * live.length)]!;
        const children = await killHard(victim.child.pid!);
        encodesInterrupted += children.length;
        kills++;
        await victim.child.exited;
        await stack.addWorker();
      }
      const completedWhenChaosEnded = (await listAllJobs(stack.apiUrl, acme.key)).filter((j) => j.status === 'completed').length;
      // The chaos must have hit running work, else this test proved nothing.
      expect(encodesInterrupted, 'ffmpeg processes killed mid-job').toBeGreaterThan(0);
      expect(completedWhenChaosEnded, 'jobs were still running when the chaos ended').toBeLessThan(JOBS);

      process.stderr.write(`chaos ended ${Date.now()-t0} completed=${completedWhenChaosEnded} interrupted=${encodesInterrupted}\n`);
      const final = await waitForFinalJobs(stack.apiUrl, acme.key, ids, { timeoutMs: 150_000 });

      process.stderr.write(`all final ${Date.now()-t0}\n`);
      // None lost: GET /v1/jobs, page by page, lists exactly the submitted jobs, all completed.
      const listed = await listAllJobs(stack.apiUrl, acme.key);
      expect(listed.map((j) => j.id).sort()).toEqual([...ids].sort());
      const notCompleted = ids.map((id) => final.get(id)!).filter((j) => j.status !== 'completed');
      expect(notCompleted.map((j) => ({ id: j.id, status: j.status, attempts: j.attempts, error: j.error }))).toEqual([]);

      // Completed once on disk: exactly the output, no half-written temp left by a killed encode.
      const badDirs: { id: string; files: string[] }[] = [];
      for (const id of ids) {
        const files = await readdir(path.join(stack.storageDir, acme.id, id));
        if (files.length !== 1 || files[0] !== 'mp4-360p.mp4') badDirs.push({ id, files });
      }
      expect.soft(badDirs, 'job dirs holding anything but mp4-360p.mp4').toEqual([]);

      // Completed once on the channel: one job.completed per job, never two.
      const completedEvents = () => watcher.events.filter((e) => e.name === 'job.completed');
      await waitFor(() => new Set(completedEvents().map((e) => e.data.id)).size >= JOBS, { timeoutMs: 15_000, message: 'a job.completed for every job' }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000)); // late duplicates would arrive now
      const perJob = new Map<string, number>();
      for (const e of completedEvents()) perJob.set(String(e.data.id), (perJob.get(String(e.data.id)) ?? 0) + 1);
      expect.soft(ids.filter((id) => perJob.get(id) !== 1).map((id) => ({ id, completedEvents: perJob.get(id) ?? 0 }))).toEqual([]);
      expect.soft(completedEvents()).toHaveLength(JOBS);
    } finally {
      watcher.disconnect();
    }
  });
});

import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { getFreePort, makeClip, makeGapClip, makePng, startApp, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFfmpeg, mediaChildrenOf } from '../support/process-tree.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

describe('hostile media on one worker of concurrency 1', () => {
  let stack: TestStack;
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const url = (name: string) => pathToFileURL(path.join(stack.inputRoot, name)).href;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 1,
      env: { KILN_WORKER_CONCURRENCY: '1', KILN_LOG_LEVEL: 'info' },
    });
    const inputs = {
      'gap-10h.mp4': makeGapClip(100),
      'gap-4h.mp4': makeGapClip(40),
      'huge.png': makePng({ width: 8192, height: 8192 }),
      'normal.mp4': makeClip({ seconds: 12, width: 1280, height: 720, audio: true }),
    };
    await Promise.all(
      Object.entries(inputs).map(async ([name, file]) => copyFile(await file, path.join(stack.inputRoot, name))),
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses the timestamp-gap MP4s and the 8192x8192 PNG at once, each with its code and one attempt, and runs the job behind them; its ffmpeg sees no secret', async () => {
    const submit = async (input: string, preset = 'mp4-720p') =>
      (await api()<Job>('POST', '/v1/jobs', { input: url(input), outputs: [{ preset }] })).body.id;
    const hostile = {
      'gap-10h.mp4': await submit('gap-10h.mp4'),
      'gap-4h.mp4': await submit('gap-4h.mp4', 'hls'),
      'huge.png': await submit('huge.png'),
    };
    const normal = await submit('normal.mp4');

    // The normal job's ffmpeg, read while it runs: the worker has PUSHER_SECRET and KILN_API_KEYS, it must not.
    const workerPid = stack.apps['worker0']!.child.pid!;
    let environ = '';
    await waitFor(
      async () => {
        const ffmpeg = (await mediaChildrenOf(workerPid)).find((p) => isFfmpeg(p) && p.args.includes(normal));
        if (!ffmpeg) return false;
        environ = await readFile(`/proc/${ffmpeg.pid}/environ`, 'latin1').catch(() => '');
        return environ.length > 0;
      },
      { timeoutMs: 60_000, intervalMs: 20, message: 'the normal job to start its ffmpeg' },
    );
    const workerEnviron = await readFile(`/proc/${workerPid}/environ`, 'latin1');
    for (const name of ['PUSHER_SECRET', 'KILN_API_KEYS']) {
      const secret = stack.env[name]!;
      expect(workerEnviron).toContain(secret);
      expect(environ).not.toContain(secret);
      expect(environ).not.toContain(`${name}=`);
    }
    expect(environ).toContain('PATH=');

    const jobs = new Map<string, Job>();
    await waitFor(
      async () => {
        for (const id of [...Object.values(hostile), normal])
          jobs.set(id, (await api()<Job>('GET', `/v1/jobs/${id}`)).body);
        return [...jobs.values()].every((j) => ['completed', 'failed', 'cancelled'].includes(j.status));
      },
      { timeoutMs: 120_000, intervalMs: 200, message: 'every job to finish' },
    );
    const expected = {
      'gap-10h.mp4': 'input_too_long',
      'gap-4h.mp4': 'input_duration_mismatch',
      'huge.png': 'input_resolution_too_large',
    };
    for (const [input, id] of Object.entries(hostile)) {
      const job = jobs.get(id)!;
      expect(job, input).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: expected[input as keyof typeof expected] },
      });
      expect(Date.parse(job.finishedAt!) - Date.parse(job.createdAt)).toBeLessThan(60_000);
    }
    expect(jobs.get(hostile['gap-10h.mp4'])!.error!.message).toMatch(/more than the limit of 6 h/);
    expect(jobs.get(normal)).toMatchObject({ status: 'completed', attempts: 1 });
  }, 240_000);

  it('fails a job for good, after one attempt, when its encode runs past the budget', async () => {
    // The same farm, its worker replaced by one whose budget is a small fraction of the input's length.
    await stack.apps['worker0']!.stop();
    const port = await getFreePort();
    const worker = await startApp('worker', {
      env: {
        ...stack.env,
        KILN_WORKER_METRICS_PORT: String(port),
        KILN_ENCODE_BUDGET_FACTOR: '0.02',
        KILN_ENCODE_BUDGET_FLOOR_S: '0',
      },
      port,
    });
    try {
      const id = (await api()<Job>('POST', '/v1/jobs', { input: url('normal.mp4'), outputs: [{ preset: 'mp4-720p' }] }))
        .body.id;
      let job: Job | undefined;
      await waitFor(
        async () => {
          job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
          return ['completed', 'failed', 'cancelled'].includes(job.status);
        },
        { timeoutMs: 60_000, intervalMs: 100, message: 'the over-budget job to finish' },
      );
      expect(job).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'encode_budget_exceeded', message: expect.stringMatching(/longer than its budget of 0\.2 s/) },
      });
    } finally {
      await worker.stop();
    }
  }, 120_000);
});

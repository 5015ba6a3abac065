import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Parsed pino lines of a process's output with the given message. */
function logLines(logs: string, msg: string): Record<string, unknown>[] {
  return logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

describe('worker prefetch (KILN_WORKER_PREFETCH=1, one encode at a time)', () => {
  let stack: TestStack;
  let input: (name: string) => string;
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const get = async (id: string) => (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
  // The long job encodes H.264 and VP9, seconds of work even on a fast machine, so the steps
  // each test takes while it runs (probe the next input, cancel, SIGTERM) all happen before it ends.
  const create = async (file: 'long.mp4' | 'short.mp4') => {
    const presets = file === 'long.mp4' ? ['mp4-720p', 'webm-720p'] : ['mp4-720p'];
    return (
      await api()<Job>('POST', '/v1/jobs', { input: input(file), outputs: presets.map((preset) => ({ preset })) })
    ).body.id;
  };

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 1,
      env: {
        KILN_WORKER_CONCURRENCY: '1',
        KILN_WORKER_PREFETCH: '1',
        KILN_SHUTDOWN_GRACE_S: '30',
        KILN_LOG_LEVEL: 'info',
      },
    });
    await copyFile(
      await makeClip({ seconds: 6, width: 1280, height: 720, audio: true }),
      path.join(stack.inputRoot, 'long.mp4'),
    );
    await copyFile(
      await makeClip({ seconds: 1, width: 320, height: 240, audio: true }),
      path.join(stack.inputRoot, 'short.mp4'),
    );
    input = (name) => pathToFileURL(path.join(stack.inputRoot, name)).href;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('probes the next job while one encodes, keeps it queued until the slot frees, and never encodes two at once', async () => {
    const first = await create('long.mp4');
    await waitFor(async () => (await get(first)).status === 'encoding', {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the first job to encode',
    });
    const second = await create('short.mp4');
    const worker = stack.apps.worker0!;
    await waitFor(() => logLines(worker.logs(), 'input probed').some((l) => l.jobId === second), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the second input to be probed',
    });

    const statuses = new Set<string>();
    let overlap = false;
    await waitFor(
      async () => {
        const [a, b] = await Promise.all([get(first), get(second)]);
        if (a.status !== 'completed') statuses.add(b.status);
        if (['probing', 'encoding', 'storing'].includes(a.status) && ['encoding', 'storing'].includes(b.status))
          overlap = true;
        return b.status === 'completed';
      },
      { timeoutMs: 60_000, intervalMs: 25, message: 'both jobs to complete' },
    );
    expect(logLines(worker.logs(), 'input probed').find((l) => l.jobId === second)).toMatchObject({ prefetched: true });
    expect([...statuses], 'the second job while the first runs').toEqual(['queued']);
    expect(overlap).toBe(false);
    const [a, b] = await Promise.all([get(first), get(second)]);
    expect(Date.parse(b.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt!) - 50);
    expect(a.outputs.map((o) => o.status)).toEqual(['completed', 'completed']);
    expect(b.outputs[0]).toMatchObject({ status: 'completed' });
  });

  it('a prefetched job cancelled while it waits ends cancelled, and one waiting at SIGTERM is handed back at once', async () => {
    const running = await create('long.mp4');
    await waitFor(async () => (await get(running)).status === 'encoding', {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'a job to encode',
    });
    const waiting = await create('short.mp4');
    const worker = stack.apps.worker0!;
    await waitFor(() => logLines(worker.logs(), 'input probed').some((l) => l.jobId === waiting), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the waiting job to be probed',
    });
    const cancelled = await api()<Job>('POST', `/v1/jobs/${waiting}/cancel`);
    expect(cancelled.status).toBe(200);
    await waitFor(() => logLines(worker.logs(), 'job stopped').some((l) => l.jobId === waiting), {
      timeoutMs: 10_000,
      intervalMs: 50,
      message: 'the worker to drop the cancelled job',
    });
    expect((await get(waiting)).status).toBe('cancelled');

    // Another job waits for the slot; SIGTERM hands it back to the queue at once, and a new worker
    // runs it, while the running encode is allowed to finish within its grace.
    const handed = await create('short.mp4');
    await waitFor(() => logLines(worker.logs(), 'input probed').some((l) => l.jobId === handed), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'the next job to be probed',
    });
    const stopping = worker.stop({ signal: 'SIGTERM', graceMs: 40_000 });
    await waitFor(
      () =>
        logLines(worker.logs(), 'worker shutting down: job handed back to the queue').some((l) => l.jobId === handed),
      { timeoutMs: 10_000, intervalMs: 50, message: 'the waiting job to be handed back' },
    );
    expect((await get(running)).status).not.toBe('completed');
    await stack.addWorker();
    await stopping;
    await waitFor(
      async () => (await get(handed)).status === 'completed' && (await get(running)).status === 'completed',
      { timeoutMs: 60_000, intervalMs: 100, message: 'both jobs to complete' },
    );
  });
});

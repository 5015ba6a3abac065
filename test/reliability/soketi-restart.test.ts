import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { spawnSoketi, type SoketiHandle } from '@kiln/stack';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllJobs, waitForFinalJobs, submitJobs, waitForCompleted } from '../support/job-listing.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';
import { connectViewClient } from '../support/view-client.js';

describe('soketi SIGKILLed and restarted mid-run', () => {
  let stack: TestStack;
  let restarted: SoketiHandle | undefined;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 1,
      env: {
        KILN_WORKER_CONCURRENCY: '2',
        KILN_WORKER_STALLED_S: '3',
        KILN_RECONCILE_INTERVAL_S: '2',
        KILN_PROGRESS_INTERVAL_MS: '200',
        KILN_RATE_LIMIT_PER_MIN: '0',
        KILN_LOG_LEVEL: 'info',
      },
    });
  });
  afterAll(async () => {
    await restarted?.stop();
    await stack?.stop();
  });

  it(
    'encoding is unaffected, failed publishes are counted, and the watcher ends with the truth',
    { timeout: 120_000 },
    async () => {
      const acme = stack.customers[0]!;
      const api = apiClient(stack.apiUrl, acme.key);
      const clip = path.join(stack.inputRoot, 'clip.mp4');
      await copyFile(await makeClip({ seconds: 2, width: 320, height: 240 }), clip);
      const input = pathToFileURL(clip).href;
      const metrics = stack.workerMetricsUrls[0]!;
      const failures = async () =>
        (await readMetric(metrics, 'kiln_realtime_pusher_requests_total', { result: 'error' })) +
        (await readMetric(metrics, 'kiln_realtime_events_total', { outcome: 'failed' }));

      const watcher = await connectViewClient(stack.apiUrl, acme.key);
      try {
        await waitFor(() => watcher.events.some((e) => e.name === 'sync'), {
          timeoutMs: 10_000,
          message: 'sync (gate open)',
        });
        const failuresBefore = await failures();

        const ids = await submitJobs(api, input, 20);
        await waitForCompleted(stack.apiUrl, acme.key, 2);

        // SIGKILL: no channel_vacated webhooks, every socket gone at once.
        const { soketi } = stack;
        await soketi.child.stop({ signal: 'SIGKILL' });
        const killedAt = Date.now();
        const receivedAtKill = watcher.events.length;
        const doneAtKill = (await listAllJobs(stack.apiUrl, acme.key)).filter((j) => j.status === 'completed').length;
        expect(doneAtKill, 'jobs still to do when soketi dies').toBeLessThan(ids.length);
        // While it is down, job changes are published and fail (after the transport's retries).
        await waitFor(async () => (await failures()) > failuresBefore, {
          timeoutMs: 15_000,
          intervalMs: 200,
          message: 'a failed Pusher publish to be counted on the worker',
        });
        // Jobs also finish while soketi is down: their job.completed is lost, only a snapshot can tell.
        // And they take as long as before: a worker does not wait on a Pusher that keeps failing.
        const durationMs = (j: Job) => Date.parse(j.finishedAt!) - Date.parse(j.startedAt!);
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const before = (await listAllJobs(stack.apiUrl, acme.key)).filter((j) => j.status === 'completed');
        let during: Job[] = [];
        await waitFor(
          async () => {
            during = (await listAllJobs(stack.apiUrl, acme.key)).filter(
              (j) => j.status === 'completed' && Date.parse(j.startedAt!) >= killedAt,
            );
            return during.length >= 3;
          },
          { timeoutMs: 30_000, intervalMs: 100, message: 'three jobs started and completed during the outage' },
        );
        expect(median(during.map(durationMs)), 'median job time during the outage (ms)').toBeLessThanOrEqual(
          2 * median(before.map(durationMs)) + 1_000,
        );
        const snapshotsAtRestart = watcher.snapshots();

        restarted = await spawnSoketi({
          port: soketi.port,
          metricsPort: soketi.metricsPort,
          appId: soketi.appId,
          key: soketi.key,
          secret: soketi.secret,
          webhookUrl: `${stack.webhooksUrl}/pusher/webhooks`,
        });

        const final = await waitForFinalJobs(stack.apiUrl, acme.key, ids, { timeoutMs: 90_000 });
        expect(
          [...final.values()]
            .filter((j) => j.status !== 'completed')
            .map((j) => ({ id: j.id, status: j.status, error: j.error })),
        ).toEqual([]);

        // The watcher reconnected by itself and got events again.
        await waitFor(() => watcher.pusher.connection.state === 'connected', {
          timeoutMs: 30_000,
          message: 'pusher-js to reconnect',
        });
        await waitFor(() => watcher.events.length > receivedAtKill, {
          timeoutMs: 30_000,
          message: 'events after the restart',
        });
        // It re-read the snapshot after reconnecting (its channel's sync), and ends with exactly the truth for every job (events merged with the snapshot its sync triggered).
        await waitFor(() => ids.every((id) => watcher.record(id)?.seq === final.get(id)!.seq), {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: 'the watcher to reach the final seq of every job',
        }).catch(() => undefined);
        expect(watcher.snapshots(), 'snapshots read after the restart').toBeGreaterThan(snapshotsAtRestart);
        for (const id of ids) expect(watcher.view.get(id), id).toEqual(final.get(id));
      } finally {
        watcher.disconnect();
      }
    },
  );
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { channelsOf, makeClip, startApp, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';
import { connectViewClient } from '../support/view-client.js';

describe('realtime protocol on the real stack', () => {
  let stack: TestStack;
  let redis: Redis;
  let clipUrl: string;
  const occupied = (channel: string) =>
    redis.sismember(`${stack.prefix}:occupancy:channels`, channel).then((n) => n === 1);

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme', 'globex'],
      env: { KILN_RECONCILE_INTERVAL_S: '2', KILN_PROGRESS_INTERVAL_MS: '200', KILN_LOG_LEVEL: 'info' },
    });
    redis = new Redis(stack.redisUrl);
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 2, width: 640, height: 480, audio: true }), clip);
    clipUrl = pathToFileURL(clip).href;
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  // Twenty encodes one after another: bounded per run (30 s each), not by the default test timeout,
  // which a loaded machine's encodes alone can exceed.
  it(
    'a watcher that joins mid-job at a random moment ends with the true final state (20 runs)',
    { timeout: 20 * 40_000 },
    async () => {
      const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
      const channel = 'private-customer-acme';
      let exact = 0;
      for (let run = 0; run < 20; run++) {
        await waitFor(async () => !(await occupied(channel)), {
          timeoutMs: 5000,
          message: 'channel to be vacated between runs',
        });
        const created = await acme<Job>('POST', '/v1/jobs', {
          input: clipUrl,
          outputs: [{ preset: 'mp4-360p' }, { preset: 'mp4-480p' }],
          metadata: { run: String(run) },
        });
        expect(created.status).toBe(202);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 900)));
        const watcher = await connectViewClient(stack.apiUrl, stack.customers[0]!.key);
        try {
          let truth: Job | undefined;
          await waitFor(
            async () => {
              truth = (await acme<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
              return truth.status === 'completed' || truth.status === 'failed';
            },
            { timeoutMs: 30_000, intervalMs: 100, message: 'job to finish' },
          );
          // The final event may still be in flight for a few milliseconds, and the record it makes the watcher read.
          await waitFor(() => watcher.record(created.body.id)?.seq === truth!.seq, {
            timeoutMs: 5000,
            message: `run ${run}: watcher to reach seq ${truth!.seq}`,
          });
          expect(watcher.view.get(created.body.id)).toEqual(truth);
          exact++;
        } finally {
          watcher.disconnect();
        }
      }
      expect(exact).toBe(20);
    },
  );

  it('repairs the set when the webhooks app was down while a client subscribed, and the reverse', async () => {
    const channel = 'private-customer-globex';
    await stack.apps.webhooks!.stop();
    const client = await connectCustomerClient(stack.apiUrl, stack.customers[1]!.key);
    await client.subscribed;
    await new Promise((r) => setTimeout(r, 300));
    expect(await occupied(channel)).toBe(false); // soketi's webhook failed and is never retried

    const port = Number(new URL(stack.webhooksUrl).port);
    stack.apps.webhooks = await startApp('webhooks', { env: stack.env, port });
    const opened = Date.now();
    await waitFor(() => occupied(channel), { timeoutMs: 5000, message: 'repair loop to open the channel' });
    expect(Date.now() - opened).toBeLessThan(2000 + 1500);
    expect(
      await readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_occupancy_repairs_total', { event: 'channel_occupied' }),
    ).toBeGreaterThanOrEqual(1);

    // The reverse: the client leaves while the app is down; the repair closes the channel.
    await stack.apps.webhooks.stop();
    client.disconnect();
    await new Promise((r) => setTimeout(r, 300));
    expect(await occupied(channel)).toBe(true);
    stack.apps.webhooks = await startApp('webhooks', { env: stack.env, port });
    await waitFor(async () => !(await occupied(channel)), {
      timeoutMs: 5000,
      message: 'repair loop to close the channel',
    });
  });

  it('sends the unwatched customer nothing while the watched one gets few, batched requests', async () => {
    const watcher = await connectViewClient(stack.apiUrl, stack.customers[0]!.key);
    try {
      await waitFor(() => occupied('private-customer-acme'), { timeoutMs: 5000, message: 'gate open' });
      stack.recorder.reset();
      const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
      const globex = apiClient(stack.apiUrl, stack.customers[1]!.key);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await acme<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }] })).body.id);
        ids.push(
          (await globex<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }] })).body.id,
        );
      }
      await waitFor(
        async () =>
          (
            await Promise.all(
              ids.map((id) =>
                apiClient(stack.apiUrl, stack.customers[ids.indexOf(id) % 2]!.key)<Job>('GET', `/v1/jobs/${id}`),
              ),
            )
          ).every((r) => r.body.status === 'completed'),
        { timeoutMs: 60_000, intervalMs: 200, message: 'jobs to complete' },
      );
      await new Promise((r) => setTimeout(r, 300));
      const requests = stack.recorder.requests.filter(
        (r) => r.path.includes('/events') || r.path.includes('/batch_events'),
      );
      expect(requests.filter((r) => channelsOf(r).includes('private-customer-globex'))).toHaveLength(0);
      expect(requests.length).toBeGreaterThan(0);
      for (const id of ids.filter((_, i) => i % 2 === 0)) expect(watcher.view.get(id)?.status).toBe('completed');
    } finally {
      watcher.disconnect();
    }
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, startApp, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

/**
 * The gate opens on authorization, not only on Pusher's occupied webhook: soketi never retries a
 * lost webhook, and it sends vacated at once where Pusher waits 3 s, so a reload flapped the gate.
 */
describe('authorization leases and the vacated delay on the real stack', () => {
  let stack: TestStack;
  let redis: Redis;
  let longClipUrl: string;
  const member = (channel: string) =>
    redis.sismember(`${stack.prefix}:occupancy:channels`, channel).then((n) => n === 1);

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      env: { KILN_PROGRESS_INTERVAL_MS: '200', KILN_RECONCILE_INTERVAL_S: '3600' },
    });
    redis = new Redis(stack.redisUrl);
    // Far more work than the test needs: it is cancelled once it has shown what it must.
    const clip = path.join(stack.inputRoot, 'long.mp4');
    await copyFile(await makeClip({ seconds: 120, width: 1280, height: 720, audio: false }), clip);
    longClipUrl = pathToFileURL(clip).href;
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  it(
    'gives a new watcher the events of a running job while the webhooks app is down',
    { timeout: 120_000 },
    async () => {
      const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
      const port = Number(new URL(stack.webhooksUrl).port);
      await stack.apps.webhooks!.stop();
      try {
        const id = (await acme<Job>('POST', '/v1/jobs', { input: longClipUrl, outputs: [{ preset: 'mp4-720p' }] })).body
          .id;
        await waitFor(async () => (await acme<Job>('GET', `/v1/jobs/${id}`)).body.status === 'encoding', {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: 'the job to be encoding',
        });
        const watcher = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
        try {
          await watcher.subscribed;
          const ofJob = (name: string) => watcher.events.filter((e) => e.name === name && e.data.id === id);
          await waitFor(() => ofJob('job.progress').length >= 2, {
            timeoutMs: 30_000,
            message: 'progress of the running job to reach the new watcher',
          });
          expect((await acme<Job>('POST', `/v1/jobs/${id}/cancel`)).status).toBe(200);
          await waitFor(() => ofJob('job.cancelled').length === 1, {
            timeoutMs: 15_000,
            message: 'the cancel to reach the watcher',
          });
          // No webhook could have opened it: the lease did.
          expect(await member('private-customer-acme')).toBe(false);
        } finally {
          watcher.disconnect();
        }
      } finally {
        stack.apps.webhooks = await startApp('webhooks', { env: stack.env, port });
      }
    },
  );

  it('keeps the gate open through a page reload (vacated then occupied within 3 s)', { timeout: 60_000 }, async () => {
    const channel = 'private-customer-acme';
    const first = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
    await first.subscribed;
    await waitFor(() => member(channel), { timeoutMs: 10_000, message: 'the occupied webhook to be applied' });
    const stale = () =>
      readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_occupancy_events_total', {
        event: 'channel_vacated',
        result: 'stale',
      });
    const staleBefore = await stale();
    const changes = new Redis(stack.redisUrl);
    const published: string[] = [];
    changes.on('message', (_c: string, m: string) => published.push(m));
    await changes.subscribe(`${stack.prefix}:occupancy:changes`);
    try {
      // The reload: the old page goes, the new one comes at once.
      first.disconnect();
      const second = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
      try {
        await second.subscribed;
        await waitFor(async () => (await stale()) > staleBefore, {
          timeoutMs: 15_000,
          message: "the old page's vacate to be applied after the delay, and found stale",
        });
        expect(published.filter((m) => m === `vacated ${channel}`)).toEqual([]);
        expect(await member(channel)).toBe(true);
      } finally {
        second.disconnect();
      }
      await waitFor(async () => !(await member(channel)), {
        timeoutMs: 15_000,
        message: 'the channel to close once really left',
      });
    } finally {
      await changes.quit();
    }
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bullPrefix, type Job } from '@kiln/jobs';
import { channelsOf, makeClip, startRedisCluster, waitFor, type RedisClusterHandle } from '@kiln/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitJobs, waitForFinalJobs } from '../support/job-listing.js';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

/**
 * The whole stack (API, webhooks, two workers, soketi) on a Redis Cluster of three masters: one
 * stack for every case here, so more cases (fair share, …) can be added beside these.
 */
describe('the whole stack on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let stack: TestStack;
  let redis: Cluster;
  let clipUrl: string;
  const [acme, globex] = [0, 1];
  const api = (customer: number) => apiClient(stack.apiUrl, stack.customers[customer]!.key);
  const occupied = (channel: string) =>
    redis.sismember(`${stack.prefix}:occupancy:channels`, channel).then((n) => n === 1);
  const gatedOnWorkers = async () =>
    (
      await Promise.all(
        stack.workerMetricsUrls.map((url) => readMetric(url, 'kiln_realtime_events_total', { outcome: 'gated' })),
      )
    ).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startTestStack({
      customers: ['acme', 'globex'],
      workers: 2,
      redis: { url: cluster.url, cluster: true },
      env: { KILN_LOG_LEVEL: 'info' },
    });
    redis = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 320, height: 240, audio: true }), clip);
    clipUrl = pathToFileURL(clip).href;
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
    await cluster?.stop();
  });

  it("completes two customers' jobs, publishing only to the watched channel", async () => {
    const watcher = await connectCustomerClient(stack.apiUrl, stack.customers[acme]!.key);
    try {
      await watcher.subscribed;
      await waitFor(() => occupied('private-customer-acme'), { timeoutMs: 5000, message: 'the gate to open' });
      const gatedBefore = await gatedOnWorkers();
      stack.recorder.reset();

      const acmeIds = await submitJobs(api(acme), clipUrl, 2);
      const globexIds = await submitJobs(api(globex), clipUrl, 2);
      for (const [customer, ids] of [
        [acme, acmeIds],
        [globex, globexIds],
      ] as const) {
        const jobs = await waitForFinalJobs(stack.apiUrl, stack.customers[customer]!.key, ids, { timeoutMs: 45_000 });
        expect(ids.map((id) => jobs.get(id)?.status)).toEqual(ids.map(() => 'completed'));
      }

      // Occupancy works through the cluster's pub/sub: the watcher hears each of its jobs complete.
      const completedFor = () =>
        new Set(watcher.events.filter((e) => e.name === 'job.completed').map((e) => String(e.data.id)));
      await waitFor(() => acmeIds.every((id) => completedFor().has(id)), {
        timeoutMs: 5000,
        message: 'job.completed of every acme job on the watched channel',
      });
      // Nobody watches globex: its events were gated, and no request to Pusher named its channel.
      expect(await gatedOnWorkers()).toBeGreaterThan(gatedBefore);
      const published = stack.recorder.requests.filter((r) => /\/(batch_)?events$/.test(r.path));
      expect(published.length).toBeGreaterThan(0);
      expect(published.filter((r) => channelsOf(r).includes('private-customer-globex'))).toEqual([]);
    } finally {
      watcher.disconnect();
    }
  });

  it('runs jobs in fair-share order on the cluster, as their queue places said', async () => {
    // Both workers busy with a long acme job each; then both customers queue short ones.
    const longClip = path.join(stack.inputRoot, 'long.mp4');
    await copyFile(await makeClip({ seconds: 60, width: 640, height: 480, audio: false }), longClip);
    const long = await submitJobs(api(acme), pathToFileURL(longClip).href, 2);
    for (const id of long)
      await waitFor(async () => (await api(acme)<Job>('GET', `/v1/jobs/${id}`)).body.status === 'encoding', {
        timeoutMs: 60_000,
        message: `long job ${id} to encode`,
      });
    const acmeIds = await submitJobs(api(acme), clipUrl, 3);
    const globexIds = await submitJobs(api(globex), clipUrl, 2);
    const place = new Map<string, { customer: string; position: number }>();
    for (const [customer, ids] of [
      ['acme', acmeIds],
      ['globex', globexIds],
    ] as const)
      for (const id of ids) {
        const job = (await api(customer === 'acme' ? acme : globex)<Job>('GET', `/v1/jobs/${id}`)).body;
        expect(job.status).toBe('queued');
        place.set(id, { customer, position: job.queue!.position });
      }
    // acme already runs two jobs: globex goes first, then they alternate until globex has none left.
    const byPlace = [...place.entries()].sort((a, b) => a[1].position - b[1].position);
    expect(byPlace.map(([, p]) => p.position)).toEqual([1, 2, 3, 4, 5]);
    expect(byPlace.map(([, p]) => p.customer)).toEqual(['globex', 'acme', 'globex', 'acme', 'acme']);
    for (const id of long) await api(acme)('POST', `/v1/jobs/${id}/cancel`);
    const acmeDone = await waitForFinalJobs(stack.apiUrl, stack.customers[acme]!.key, acmeIds, { timeoutMs: 60_000 });
    const globexDone = await waitForFinalJobs(stack.apiUrl, stack.customers[globex]!.key, globexIds, {
      timeoutMs: 60_000,
    });
    const started = (id: string) => Date.parse((acmeDone.get(id) ?? globexDone.get(id))!.startedAt!);
    // Two workers may start the two next jobs at the same moment, in either order.
    for (let k = 1; k < byPlace.length; k++)
      expect(started(byPlace[k - 1]![0])).toBeLessThanOrEqual(started(byPlace[k]![0]) + 500);
  });

  it("keeps every key of Kiln's and BullMQ's in the prefix's one hash slot", async () => {
    const keys: string[] = [];
    for (const node of redis.nodes('master')) keys.push(...(await node.keys(`*${stack.prefix}*`)));
    expect(keys.some((k) => k.startsWith(`${bullPrefix(stack.prefix)}:`))).toBe(true);
    expect(keys.some((k) => k.startsWith(`${stack.prefix}:job:`))).toBe(true);
    const slots = new Set(await Promise.all(keys.map((k) => redis.cluster('KEYSLOT', k))));
    expect([...slots]).toEqual([await redis.cluster('KEYSLOT', stack.prefix)]);
  });
});

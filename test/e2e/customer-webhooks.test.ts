import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ApiClient,
  type CreatedWebhookEndpoint,
  type Job,
  type JobOutput,
  type WebhookDeliveryView,
} from '@kiln/client';
import { makeClip, makeCorruptFile, waitFor } from '@kiln/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';

interface Payload {
  type: string;
  timestamp: string;
  data: { job: Job; output?: JobOutput };
}

/** Verifies a received request with the `standardwebhooks` package and returns its payload. */
function verify(secret: string, r: ReceivedWebhook): Payload {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  return new Webhook(secret).verify(r.body, headers) as Payload;
}

describe('customer webhooks (Standard Webhooks): signed, retried, replayable deliveries', () => {
  let stack: TestStack;
  let receiver: WebhookReceiver;
  let clipUrl: string;
  let corruptUrl: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stack = await startTestStack({
      customers: ['acme', 'globex', 'initech', 'umbrella'],
      // The receiver listens on 127.0.0.1; retries start after 200 ms instead of 5 s.
      env: { KILN_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', KILN_WEBHOOK_RETRY_BASE_MS: '200' },
    });
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 2, width: 640, height: 360, audio: true }), clip);
    clipUrl = pathToFileURL(clip).href;
    const corrupt = path.join(stack.inputRoot, 'corrupt.mp4');
    await copyFile(await makeCorruptFile(), corrupt);
    corruptUrl = pathToFileURL(corrupt).href;
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  const as = (n: number) => apiClient(stack.apiUrl, stack.customers[n]!.key);

  async function addEndpoint(n: number, hookPath: string, events?: string[]): Promise<CreatedWebhookEndpoint> {
    const res = await as(n)<CreatedWebhookEndpoint>('POST', '/v1/webhook-endpoints', {
      url: `${receiver.url}${hookPath}`,
      ...(events ? { events } : {}),
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    return res.body;
  }

  async function deliveries(n: number, jobId: string): Promise<WebhookDeliveryView[]> {
    const res = await as(n)<{ deliveries: WebhookDeliveryView[] }>('GET', `/v1/jobs/${jobId}/deliveries`);
    expect(res.status).toBe(200);
    return res.body.deliveries;
  }

  async function settled(n: number, jobId: string, count: number): Promise<WebhookDeliveryView[]> {
    let list: WebhookDeliveryView[] = [];
    await waitFor(
      async () => {
        list = await deliveries(n, jobId);
        return list.length === count && list.every((d) => d.status !== 'pending');
      },
      { timeoutMs: 60_000, intervalMs: 100, message: `${count} settled deliveries of job ${jobId}` },
    );
    return list;
  }

  async function submit(n: number, input: string, outputs = [{ preset: 'mp4-360p' }]): Promise<Job> {
    const res = await as(n)<Job>('POST', '/v1/jobs', { input, outputs });
    expect(res.status).toBe(202);
    return res.body;
  }

  /** A job cancelled right after its creation: its `job.cancelled` comes from the API's cancel path. */
  async function cancelled(n: number): Promise<Job> {
    const job = await submit(n, clipUrl);
    const res = await as(n)<Job>('POST', `/v1/jobs/${job.id}/cancel`);
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The deliveries list matches what the receiver saw: per webhook-id, one attempt per request and its status. */
  function expectListMatches(list: WebhookDeliveryView[], seen: ReceivedWebhook[]): void {
    for (const d of list) {
      const got = seen.filter((r) => r.headers['webhook-id'] === d.webhookId);
      expect(d.attempts.map((a) => a.statusCode)).toEqual(got.map((r) => r.answered));
    }
  }

  it('sends all four event types for a real encode, a failure and a cancel, every one verified', async () => {
    const endpoint = await addEndpoint(0, '/acme');
    const job = await submit(0, clipUrl, [{ preset: 'mp4-360p' }, { preset: 'thumbnails' }]);
    const failed = await submit(0, corruptUrl);
    const list = await settled(0, job.id, 3);
    const stored = (await as(0)<Job>('GET', `/v1/jobs/${job.id}`)).body;
    expect(stored.status).toBe('completed');

    const payloads = receiver.at('/acme').map((r) => verify(endpoint.secret, r));
    const mine = payloads.filter((p) => p.data.job.id === job.id);
    expect(mine.map((p) => p.type)).toEqual(['output.completed', 'output.completed', 'job.completed']);
    expect(mine.map((p) => p.data.output?.name)).toEqual(['mp4-360p', 'thumbnails', undefined]);
    // The first rendition is announced complete while the second is still to be made.
    expect(mine[0]!.data.job.outputs[1]!.status).not.toBe('completed');
    // The whole job, files included, as GET /v1/jobs/:id returns it.
    expect(mine[2]!.data.job).toEqual(stored);
    expect(mine[2]!.data.job.outputs[1]!.files?.length).toBeGreaterThan(0);

    await settled(0, failed.id, 1);
    const cancel = await cancelled(0);
    await settled(0, cancel.id, 1);
    const all = receiver.at('/acme').map((r) => verify(endpoint.secret, r));
    expect(all.find((p) => p.data.job.id === failed.id)?.type).toBe('job.failed');
    expect(all.find((p) => p.data.job.id === cancel.id)).toMatchObject({
      type: 'job.cancelled',
      data: { job: { status: 'cancelled' } },
    });

    expect(list.map((d) => [d.eventType, d.status, d.endpointId])).toEqual([
      ['output.completed', 'succeeded', endpoint.id],
      ['output.completed', 'succeeded', endpoint.id],
      ['job.completed', 'succeeded', endpoint.id],
    ]);
    expectListMatches(list, receiver.at('/acme'));
    expect(new Set(list.map((d) => d.webhookId)).size).toBe(3);
    // @kiln/client reads the same through its schemas (the dashboard's way in).
    const client = new ApiClient({ baseUrl: stack.apiUrl, apiKey: stack.customers[0]!.key });
    expect(await client.listDeliveries(job.id)).toEqual(list);
    const { secret: _secret, ...shown } = endpoint;
    expect(await client.listWebhookEndpoints()).toEqual([shown]);
    expect(
      await readMetric(stack.workerMetricsUrls[0]!, 'kiln_webhook_deliveries_total', { outcome: 'succeeded' }),
    ).toBeGreaterThanOrEqual(5);
  });

  it('retries a receiver answering 500 twice, delivering on the third try with the same webhook-id', async () => {
    receiver.answer('/flaky', (nth) => (nth <= 2 ? 500 : 200));
    const endpoint = await addEndpoint(1, '/flaky', ['job.cancelled']);
    const job = await cancelled(1);
    const [delivery] = await settled(1, job.id, 1);
    const seen = receiver.at('/flaky');
    expect(seen.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(seen.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery!.webhookId]));
    for (const r of seen) expect(verify(endpoint.secret, r).type).toBe('job.cancelled');
    expect(delivery).toMatchObject({ status: 'succeeded', nextAttemptAt: null });
    expect(delivery!.attempts.map((a) => [a.statusCode, a.error])).toEqual([
      [500, 'HTTP 500 Internal Server Error'],
      [500, 'HTTP 500 Internal Server Error'],
      [200, null],
    ]);
    expectListMatches([delivery!], seen);
    expect(
      await readMetric(stack.workerMetricsUrls[0]!, 'kiln_webhook_deliveries_total', { outcome: 'retrying' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('signs with both secrets during a rotation, and a replay sends the same webhook-id again', async () => {
    const endpoint = await addEndpoint(2, '/rotate', ['job.cancelled']);
    const rotated = await as(2)<{ secret: string; previousSecretExpiresAt: string }>(
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const job = await cancelled(2);
    const [delivery] = await settled(2, job.id, 1);
    const [first] = receiver.at('/rotate');
    expect(String(first!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(endpoint.secret, first!).data.job.id).toBe(job.id);
    expect(verify(rotated.body.secret, first!).data.job.id).toBe(job.id);

    const client = new ApiClient({ baseUrl: stack.apiUrl, apiKey: stack.customers[2]!.key });
    const replay = await client.replayDelivery(delivery!.id);
    expect(replay).toMatchObject({ id: delivery!.id, webhookId: delivery!.webhookId, status: 'pending' });
    await waitFor(() => receiver.at('/rotate').length === 2, { timeoutMs: 30_000, message: 'the replayed delivery' });
    const again = receiver.at('/rotate')[1]!;
    expect(again.headers['webhook-id']).toBe(delivery!.webhookId);
    expect(again.body).toBe(first!.body);
    expect(verify(rotated.body.secret, again).type).toBe('job.cancelled');
    const [after] = await settled(2, job.id, 1);
    expect(after!.attempts).toHaveLength(2);
    expectListMatches([after!], receiver.at('/rotate'));
  });

  it('refuses a receiver on a private address unless allowed, with the reason in the deliveries list', async () => {
    // The API refuses a private IP it does not allow at once.
    const api = await as(3)<{ error: { code: string; fields: { path: string; message: string }[] } }>(
      'POST',
      '/v1/webhook-endpoints',
      { url: 'http://10.1.2.3/hook' },
    );
    expect(api.status).toBe(400);
    expect(api.body.error.fields[0]).toMatchObject({ path: 'url', message: expect.stringContaining('private') });
    // A worker without 127.0.0.1 in KILN_WEBHOOK_ALLOW_HOSTS takes over the deliveries.
    await stack.apps.worker0!.stop();
    const strict = await stack.addWorker({ KILN_WEBHOOK_ALLOW_HOSTS: '' });
    await addEndpoint(3, '/private', ['job.cancelled']);
    const job = await cancelled(3);
    const [delivery] = await settled(3, job.id, 1);
    expect(receiver.at('/private')).toHaveLength(0);
    expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(delivery!.attempts).toHaveLength(1);
    expect(delivery!.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringContaining('loopback') });
    expect(delivery!.attempts[0]!.error).toContain('KILN_WEBHOOK_ALLOW_HOSTS');
    expect(await readMetric(strict.metricsUrl, 'kiln_webhook_deliveries_total', { outcome: 'refused' })).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { ApiClient } from './api.client.js';
import type { FetchFn } from './upload.transport.js';

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

/** A fetch answering `answer` (status 200 unless given) and recording what was sent. */
function answering(answer: unknown, seen: Seen[], status = 200): FetchFn {
  return async (url, init) => {
    seen.push({
      method: init?.method ?? 'GET',
      url: String(url),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return new Response(status === 204 ? null : JSON.stringify(answer), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  };
}

const delivery = {
  id: 'dlv_1',
  endpointId: 'we_1',
  url: 'https://hooks.example.com/kiln',
  eventType: 'job.completed',
  webhookId: 'msg_1',
  status: 'succeeded',
  attempts: [{ at: '2026-12-01T00:00:01.000Z', statusCode: 200, durationMs: 12, error: null }],
  nextAttemptAt: null,
  createdAt: '2026-12-01T00:00:00.000Z',
};

describe('ApiClient webhooks (as the dashboard uses them) and signed URLs', () => {
  it('lists deliveries of a job; a list that is not one is refused', async () => {
    const seen: Seen[] = [];
    const api = new ApiClient({
      baseUrl: 'http://api.test',
      apiKey: 'k',
      fetch: answering({ deliveries: [delivery] }, seen),
    });
    expect(await api.listDeliveries('j/1')).toEqual([delivery]);
    const bad = new ApiClient({ baseUrl: 'http://api.test', fetch: answering({ deliveries: [{ id: 1 }] }, []) });
    await expect(bad.listDeliveries('j1')).rejects.toBeInstanceOf(ApiError);
    expect(seen[0]).toMatchObject({ method: 'GET', url: 'http://api.test/v1/jobs/j%2F1/deliveries' });
  });

  it('replays a delivery and returns the delivery inside the 202 body', async () => {
    const seen: Seen[] = [];
    const api = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: answering({ delivery: { ...delivery, status: 'pending' } }, seen, 202),
    });
    expect((await api.replayDelivery('dlv_1')).status).toBe('pending');
    expect(seen[0]).toMatchObject({ method: 'POST', url: 'http://api.test/v1/deliveries/dlv_1/replay' });
  });

  it('creates an endpoint with its events and returns the secret; a body without one is refused', async () => {
    const endpoint = {
      id: 'we_1',
      url: 'https://h.example.com',
      events: ['job.completed'],
      description: null,
      status: 'enabled',
      disabledReason: null,
      createdAt: '2026-12-01T00:00:00.000Z',
      previousSecretExpiresAt: null,
    };
    const seen: Seen[] = [];
    const api = new ApiClient({
      baseUrl: 'http://api.test',
      fetch: answering({ ...endpoint, secret: 'whsec_abc' }, seen, 201),
    });
    const created = await api.createWebhookEndpoint({ url: endpoint.url, events: ['job.completed'] });
    expect(created.secret).toBe('whsec_abc');
    expect(seen[0]).toMatchObject({ method: 'POST', body: { url: endpoint.url, events: ['job.completed'] } });
    const noSecret = new ApiClient({ baseUrl: 'http://api.test', fetch: answering(endpoint, [], 201) });
    await expect(noSecret.createWebhookEndpoint({ url: endpoint.url })).rejects.toBeInstanceOf(ApiError);
  });

  it('asks for a signed URL of one output with its lifetime', async () => {
    const seen: Seen[] = [];
    const signed = { url: 'http://api.test/play/tok/mp4.mp4', expiresAt: '2026-12-01T01:00:00.000Z' };
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k', fetch: answering(signed, seen) });
    expect(await api.signedOutputUrl('j1', 'mp4-360p', 600)).toEqual(signed);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: 'http://api.test/v1/jobs/j1/outputs/mp4-360p/url',
      body: { ttlSeconds: 600 },
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelsOf, startPusherRecorder, type PusherRecorder, type RecordedRequest } from './pusher-recorder.js';
import { signPusherRequest } from './pusher-signature.js';
import { startSoketi, type SoketiHandle } from './start-soketi.js';

let soketi: SoketiHandle;
let recorder: PusherRecorder;
beforeAll(async () => {
  soketi = await startSoketi();
  recorder = await startPusherRecorder({ targetHost: soketi.host, targetPort: soketi.port });
});
afterAll(async () => {
  await recorder?.stop();
  await soketi?.stop();
});

/** POSTs a signed Pusher request through the recorder, as a publisher pointed at PUSHER_PORT=recorder.port would. */
async function post(path: string, body: unknown, secret = soketi.secret) {
  const signed = signPusherRequest({
    method: 'POST',
    path: `/apps/${soketi.appId}${path}`,
    key: soketi.key,
    secret,
    body,
  });
  const res = await fetch(`http://127.0.0.1:${recorder.port}${signed.pathWithQuery}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: signed.body!,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const base: RecordedRequest = {
  method: 'POST',
  path: '/apps/1/events',
  query: '',
  body: undefined,
  status: 200,
  responseBody: '{}',
  at: 0,
};

describe('startPusherRecorder', () => {
  it('forwards a real trigger to soketi unchanged and records it with its channel and answer', async () => {
    recorder.reset();
    const res = await post('/events', {
      name: 'job.progress',
      channel: 'private-customer-acme',
      data: JSON.stringify({ id: 'j1', seq: 3 }),
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('error'); // soketi accepted the signature: the request went through untouched
    expect(recorder.requests).toHaveLength(1);
    const [request] = recorder.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/apps/${soketi.appId}/events`, status: 200 });
    expect(request!.query).toContain(`auth_key=${soketi.key}`);
    expect(request!.body).toMatchObject({ name: 'job.progress', channel: 'private-customer-acme' });
    expect(channelsOf(request!)).toEqual(['private-customer-acme']);
    expect(recorder.requestsFor('private-customer-acme')).toHaveLength(1);
    expect(recorder.requestsFor('private-customer-globex')).toHaveLength(0);
  });

  it('records batch_events per event channel and keeps soketi error answers (HTTP 200 with an error body)', async () => {
    recorder.reset();
    await post('/batch_events', {
      batch: [
        { name: 'a', channel: 'private-customer-a', data: '{}' },
        { name: 'b', channel: 'private-customer-b', data: '{}' },
      ],
    });
    await post('/events', { name: 'x', channel: 'private-customer-a', data: '{}' }, 'not-the-secret');
    expect(recorder.requests).toHaveLength(2);
    expect(channelsOf(recorder.requests[0]!)).toEqual(['private-customer-a', 'private-customer-b']);
    expect(recorder.requests[1]!.responseBody).toMatch(/"code":\s*401/);
    expect(recorder.requestsFor('private-customer-a')).toHaveLength(2);
    recorder.reset();
    expect(recorder.requests).toHaveLength(0);
  });

  it('reads channel, channels and batch[].channel, ignoring bodies without them', () => {
    expect(channelsOf({ ...base, body: { channels: ['c1', 'c2'], name: 'e' } })).toEqual(['c1', 'c2']);
    expect(channelsOf({ ...base, body: { batch: [{ channel: 'c1' }, { channel: 'c1' }, {}] } })).toEqual(['c1', 'c1']);
    expect(channelsOf({ ...base, method: 'GET', body: undefined })).toEqual([]);
    expect(channelsOf({ ...base, body: 'not json' })).toEqual([]);
  });
});

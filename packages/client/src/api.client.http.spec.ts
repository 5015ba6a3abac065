import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { ApiClient } from './api.client.js';
import type { Job } from './job.schema.js';

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

const job = (id: string, seq = 1): Job => ({
  id,
  customerId: 'acme',
  status: 'queued',
  priority: 'normal',
  pool: 'cpu',
  input: 'https://example.com/in.mp4',
  metadata: {},
  progress: { percent: 0, fps: null, speed: null, etaSeconds: null },
  outputs: [],
  error: null,
  attempts: 0,
  seq,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
});

/** A small stand-in for the API over real HTTP: a route table of canned answers. */
function route(req: Received): { status: number; body?: unknown; headers?: Record<string, string> } {
  const path = req.url.split('?')[0];
  if (req.authorization !== undefined && req.authorization !== 'Bearer k1')
    return { status: 401, body: { error: { code: 'unauthorized', message: 'unknown API key' } } };
  if (req.method === 'GET' && path === '/v1/me')
    return {
      status: 200,
      body: {
        customerId: 'acme',
        channel: 'private-customer-acme',
        pusher: { key: 'pk', cluster: 'mt1', wsHost: 'ws.example', wsPort: 6001, forceTLS: false },
      },
    };
  if (req.method === 'GET' && path === '/v1/jobs')
    return { status: 200, body: { data: [job('a', 3), { id: 'broken' }, job('b')], nextCursor: 'c2' } };
  if (req.method === 'POST' && path === '/v1/jobs') {
    const body = JSON.parse(req.body) as { outputs: { preset: string }[] };
    if (body.outputs[0]?.preset === 'nope')
      return {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'invalid body',
            fields: [{ path: ['outputs', 0, 'preset'], message: 'unknown preset' }],
          },
        },
      };
    return { status: 201, body: job('new') };
  }
  if (req.method === 'POST' && path === '/v1/realtime/auth') return { status: 200, body: { auth: 'pk:sig' } };
  if (req.method === 'POST' && path === '/v1/uploads')
    return { status: 201, body: { id: 'u1', sizeBytes: req.body.length, input: 'upload://u1' } };
  if (req.method === 'DELETE' && path === '/v1/jobs/a') return { status: 204 };
  if (req.method === 'PATCH' && path === '/v1/jobs/a') {
    const body = JSON.parse(req.body) as { priority: Job['priority'] };
    if (body.priority === 'low')
      return { status: 409, body: { error: { code: 'conflict', message: 'job is encoding' } } };
    return { status: 200, body: { ...job('a', 4), priority: body.priority } };
  }
  if (req.method === 'GET' && path === '/v1/jobs/a/outputs/mp4')
    return { status: 200, body: 'bytes', headers: { 'Content-Disposition': 'attachment; filename="a-mp4.mp4"' } };
  return { status: 502, body: '<html>bad gateway</html>' };
}

describe('ApiClient over real HTTP', () => {
  let server: http.Server;
  let baseUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(r);
        const answer = route(r);
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? '');
        res.writeHead(answer.status, {
          'Content-Type': typeof answer.body === 'string' ? 'text/html' : 'application/json',
          ...answer.headers,
        });
        res.end(answer.status === 204 ? undefined : text);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received.length = 0;
  });

  it('reads /v1/me and a page of jobs with the bearer key, leaving out records that are not jobs', async () => {
    const api = new ApiClient({ baseUrl: `${baseUrl}/`, apiKey: 'k1' });
    expect((await api.me()).pusher).toEqual({
      key: 'pk',
      cluster: 'mt1',
      wsHost: 'ws.example',
      wsPort: 6001,
      forceTLS: false,
    });
    const page = await api.listJobs({ status: 'queued', limit: 2, cursor: 'c1' });
    expect(page.data.map((j) => j.id)).toEqual(['a', 'b']);
    expect(page.nextCursor).toBe('c2');
    expect(received.map((r) => `${r.method} ${r.url} ${r.authorization}`)).toEqual([
      'GET /v1/me Bearer k1',
      'GET /v1/jobs?status=queued&limit=2&cursor=c1 Bearer k1',
    ]);
  });

  it("turns the API's error body into an ApiError with its code and fields", async () => {
    const api = new ApiClient({ baseUrl, apiKey: 'k1' });
    expect((await api.createJob('https://example.com/in.mp4', [{ preset: 'mp4-720p' }])).id).toBe('new');
    expect(JSON.parse(received[0]!.body)).toEqual({
      input: 'https://example.com/in.mp4',
      outputs: [{ preset: 'mp4-720p' }],
    });
    const err = await api.createJob('https://example.com/in.mp4', [{ preset: 'nope' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: 'invalid body',
      fields: [{ path: 'outputs.0.preset', message: 'unknown preset' }],
    });
    const wrongKey = new ApiClient({ baseUrl, apiKey: 'k2' });
    await expect(wrongKey.me()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    await expect(api.presets()).rejects.toMatchObject({ status: 502, message: 'the API answered 502 Bad Gateway' });
  });

  it('sends no Authorization without a key, for a page whose backend adds it', async () => {
    const api = new ApiClient({ baseUrl });
    await api.me();
    expect(received[0]!.authorization).toBeUndefined();
  });

  it('signs a channel with a form post, uploads a blob, deletes, and downloads with the suggested name', async () => {
    const api = new ApiClient({ baseUrl, apiKey: 'k1' });
    expect(await api.authorizeChannel('1.2', 'private-customer-acme')).toEqual({ auth: 'pk:sig' });
    expect(received[0]!.body).toBe('socket_id=1.2&channel_name=private-customer-acme');
    expect(received[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(await api.upload(new Blob(['abcd'], { type: 'video/mp4' }))).toEqual({
      id: 'u1',
      sizeBytes: 4,
      input: 'upload://u1',
    });
    expect(received[1]).toMatchObject({ body: 'abcd', contentType: 'video/mp4', authorization: 'Bearer k1' });
    await api.deleteJob('a');
    const download = await api.download('/v1/jobs/a/outputs/mp4', 'output');
    expect(download.fileName).toBe('a-mp4.mp4');
    expect(await download.blob.text()).toBe('bytes');
  });

  it("changes a job's priority with PATCH and a JSON body, and reports a refusal as an ApiError", async () => {
    const api = new ApiClient({ baseUrl, apiKey: 'k1' });
    const changed = await api.setPriority('a', 'high');
    expect(changed).toMatchObject({ id: 'a', seq: 4, priority: 'high' });
    expect(received[0]).toMatchObject({
      method: 'PATCH',
      url: '/v1/jobs/a',
      contentType: 'application/json',
      authorization: 'Bearer k1',
    });
    expect(JSON.parse(received[0]!.body)).toEqual({ priority: 'high' });
    const err = await api.setPriority('a', 'low').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'conflict' });
  });

  it('reports an API that cannot be reached as status 0, naming its URL', async () => {
    const api = new ApiClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k1' });
    const err = await api.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).message).toMatch(/^could not reach the API at http:\/\/127\.0\.0\.1:9 \(/);
  });
});

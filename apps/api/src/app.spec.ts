import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bullPrefix, ENCODE_QUEUE, JobRepository, type EncodeJobData, type Job } from '@kiln/jobs';
import { GatedPublisher, JobAnnouncer, PusherTransport, RealtimeMetrics } from '@kiln/realtime';
import { LocalStorage } from '@kiln/storage';
import { startRedis, type RedisHandle } from '@kiln/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { InputPolicy } from './services/input-policy.js';
import { JobService } from './services/job.service.js';

const KEY_A = 'key-acme-0123456789abcdef';
const KEY_B = 'key-globex-0123456789abcdef';

describe('api app', () => {
  let server: RedisHandle;
  let redis: Redis;
  let queue: Queue<EncodeJobData>;
  let app: ReturnType<typeof createApp>;
  let inputRoot: string;
  const cancels: string[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const prefix = `test-${randomUUID()}`;
    inputRoot = await mkdtemp(path.join(tmpdir(), 'kiln-api-in-'));
    queue = new Queue<EncodeJobData>(ENCODE_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
    const registry = new Registry();
    const metrics = new RealtimeMetrics(registry);
    const settings = { appId: '1', key: 'pk', secret: 'ps', cluster: 'mt1', host: '127.0.0.1', port: 9, useTLS: false };
    const transport = new PusherTransport(settings, metrics);
    // Nobody watches in these tests: the gate is closed, so no Pusher call is attempted.
    const publisher = new GatedPublisher({ isOccupied: async () => false }, transport, metrics, pino({ level: 'silent' }));
    const repo = new JobRepository(redis, prefix);
    const jobs = new JobService(repo, queue, new JobAnnouncer(publisher), new InputPolicy([inputRoot]), pino({ level: 'silent' }), async (id) => cancels.push(id));
    app = createApp({
      logger: pino({ level: 'silent' }),
      registry,
      apiKeys: new Map([
        [KEY_A, 'acme'],
        [KEY_B, 'globex'],
      ]),
      jobs,
      repo,
      storage: new LocalStorage(await mkdtemp(path.join(tmpdir(), 'kiln-api-st-'))),
      pusher: transport.client,
      publicPusher: { key: 'pk', cluster: 'mt1', wsHost: 'ws.example', wsPort: 6001, forceTLS: false },
      corsOrigins: ['http://dash.example'],
      ready: async () => ({ redis: true }),
    });
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.quit();
    await server?.stop();
    await rm(inputRoot, { recursive: true, force: true });
  });

  const auth = (key = KEY_A) => ({ Authorization: `Bearer ${key}` });
  const input = () => `file://${inputRoot}/a.mp4`;

  it('GET /v1/me gives the customer, its channel and the pusher-js settings', async () => {
    const res = await request(app).get('/v1/me').set(auth());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ customerId: 'acme', channel: 'private-customer-acme', pusher: { key: 'pk', cluster: 'mt1', wsHost: 'ws.example', wsPort: 6001, forceTLS: false } });
  });

  it('401 without a key, with a malformed header or an unknown key', async () => {
    for (const headers of [{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer nope' }]) {
      const res = await request(app).get('/v1/jobs').set(headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('POST /v1/jobs queues the job in BullMQ and the store', async () => {
    const res = await request(app).post('/v1/jobs').set(auth()).send({ input: input(), outputs: [{ preset: 'mp4-720p' }], metadata: { title: 'x' } });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({ status: 'queued', seq: 1, customerId: 'acme', metadata: { title: 'x' } });
    const queued = await queue.getJob(res.body.id);
    expect(queued?.data).toEqual({ jobId: res.body.id, customerId: 'acme' });
  });

  it('400 bodies name the field', async () => {
    const cases: [unknown, string][] = [
      [{ outputs: [{ preset: 'mp4-720p' }] }, 'input'],
      [{ input: input(), outputs: [{ preset: 'nope' }] }, 'outputs.0.preset'],
      [{ input: input(), outputs: [{}] }, 'outputs.0.preset'],
      [{ input: 'file:///etc/passwd', outputs: [{ preset: 'mp4-720p' }] }, 'input'],
      [{ input: 'gopher://x', outputs: [{ preset: 'mp4-720p' }] }, 'input'],
      [[1, 2], '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = await request(app).post('/v1/jobs').set(auth()).send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.fields.map((f: { path: string }) => f.path), JSON.stringify(res.body)).toContain(field);
    }
    const bad = await request(app).post('/v1/jobs').set(auth()).set('content-type', 'application/json').send('{"input":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
  });

  it('413 for an oversized body', async () => {
    const res = await request(app).post('/v1/jobs').set(auth()).send({ input: input(), outputs: [{ preset: 'mp4-720p' }], metadata: { big: 'x'.repeat(100_000) } });
    expect(res.status).toBe(413);
  });

  it("404 for another customer's job, its outputs, cancel and retry", async () => {
    const created = (await request(app).post('/v1/jobs').set(auth()).send({ input: input(), outputs: [{ preset: 'mp4-360p' }] })).body as Job;
    for (const [method, url] of [
      ['get', `/v1/jobs/${created.id}`],
      ['get', `/v1/jobs/${created.id}/outputs/mp4-360p`],
      ['post', `/v1/jobs/${created.id}/cancel`],
      ['post', `/v1/jobs/${created.id}/retry`],
    ] as const) {
      const res = await request(app)[method](url).set(auth(KEY_B));
      expect(res.status, url).toBe(404);
    }
  });

  it('cancels a queued job once, tells the workers, then allows a retry', async () => {
    const created = (await request(app).post('/v1/jobs').set(auth()).send({ input: input(), outputs: [{ preset: 'mp4-360p' }] })).body as Job;
    const cancelled = await request(app).post(`/v1/jobs/${created.id}/cancel`).set(auth());
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', seq: 2 });
    expect(cancels).toContain(created.id);
    expect(await queue.getJob(created.id)).toBeUndefined();
    expect((await request(app).post(`/v1/jobs/${created.id}/cancel`).set(auth())).status).toBe(409);
    const retried = await request(app).post(`/v1/jobs/${created.id}/retry`).set(auth());
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', seq: 3, attempts: 0 });
    expect(await queue.getJob(created.id)).toBeDefined();
    expect((await request(app).post(`/v1/jobs/${created.id}/retry`).set(auth())).status).toBe(409);
  });

  it('lists jobs newest first with a status filter and rejects a bad cursor', async () => {
    const res = await request(app).get('/v1/jobs?limit=2').set(auth());
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(2);
    expect(res.body.nextCursor).toEqual(expect.any(String));
    expect(Date.parse(res.body.data[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(res.body.data[1].createdAt));
    const filtered = await request(app).get('/v1/jobs?status=queued').set(auth());
    expect(filtered.body.data.every((j: Job) => j.status === 'queued')).toBe(true);
    expect((await request(app).get('/v1/jobs?status=nope').set(auth())).body.error.fields[0].path).toBe('query.status');
    expect((await request(app).get('/v1/jobs?cursor=zzz').set(auth())).status).toBe(400);
    expect((await request(app).get('/v1/jobs').set(auth(KEY_B))).body.data).toEqual([]);
  });

  it('authorizes the own channel only', async () => {
    const own = await request(app).post('/v1/realtime/auth').set(auth()).type('form').send({ socket_id: '123.456', channel_name: 'private-customer-acme' });
    expect(own.status).toBe(200);
    expect(own.body.auth).toMatch(/^pk:[0-9a-f]{64}$/);
    const other = await request(app).post('/v1/realtime/auth').set(auth()).type('form').send({ socket_id: '123.456', channel_name: 'private-customer-globex' });
    expect(other.status).toBe(403);
    const bad = await request(app).post('/v1/realtime/auth').set(auth()).type('form').send({ socket_id: 'x', channel_name: 'private-customer-acme' });
    expect(bad.status).toBe(400);
  });

  it('allows CORS from the dashboard origin only', async () => {
    const ok = await request(app).options('/v1/jobs').set('Origin', 'http://dash.example').set('Access-Control-Request-Method', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe('http://dash.example');
    const evil = await request(app).options('/v1/jobs').set('Origin', 'http://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves health, readiness, metrics and a JSON 404', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).status).toBe(200);
    const metrics = await request(app).get('/metrics');
    expect(metrics.text).toContain('kiln_realtime_events_total{outcome="gated"}');
    const missing = await request(app).get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

import type { Job } from '@kiln/jobs';
import { startRedis, type RedisHandle } from '@kiln/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_B, startApiHarness, type ApiHarness } from './testing/api-harness.js';

describe('api app', () => {
  let server: RedisHandle;
  let h: ApiHarness;
  let app: ApiHarness['app'];
  let inputRoot: string;

  beforeAll(async () => {
    server = await startRedis();
    h = await startApiHarness(server.url);
    app = h.app;
    inputRoot = h.inputRoot;
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  const auth = bearer;
  const input = () => `file://${inputRoot}/a.mp4`;

  it('GET /v1/me gives the customer, its channel and the pusher-js settings', async () => {
    const res = await request(app).get('/v1/me').set(auth());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      customerId: 'acme',
      channel: 'private-customer-acme',
      pusher: { key: 'pk', cluster: 'mt1', wsHost: 'ws.example', wsPort: 6001, forceTLS: false },
    });
  });

  it('401 without a key, with a malformed header or an unknown key', async () => {
    for (const headers of [{}, { Authorization: 'Basic abc' }, { Authorization: 'Bearer nope' }]) {
      const res = await request(app).get('/v1/jobs').set(headers);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('POST /v1/jobs stores the job and puts it in the fair-share line', async () => {
    const res = await request(app)
      .post('/v1/jobs')
      .set(auth())
      .send({ input: input(), outputs: [{ preset: 'mp4-720p' }], metadata: { title: 'x' } });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({ status: 'queued', seq: 1, customerId: 'acme', metadata: { title: 'x' } });
    expect(await h.line.state(res.body.id)).toEqual({ state: 'waiting', pool: 'cpu', customerId: 'acme' });
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
      const res = await request(app)
        .post('/v1/jobs')
        .set(auth())
        .send(body as object);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(res.body),
      ).toContain(field);
    }
    const bad = await request(app)
      .post('/v1/jobs')
      .set(auth())
      .set('content-type', 'application/json')
      .send('{"input":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
  });

  it('413 for an oversized body', async () => {
    const res = await request(app)
      .post('/v1/jobs')
      .set(auth())
      .send({ input: input(), outputs: [{ preset: 'mp4-720p' }], metadata: { big: 'x'.repeat(100_000) } });
    expect(res.status).toBe(413);
  });

  it("404 for another customer's job, its outputs, cancel and retry", async () => {
    const created = (
      await request(app)
        .post('/v1/jobs')
        .set(auth())
        .send({ input: input(), outputs: [{ preset: 'mp4-360p' }] })
    ).body as Job;
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
    const created = (
      await request(app)
        .post('/v1/jobs')
        .set(auth())
        .send({ input: input(), outputs: [{ preset: 'mp4-360p' }] })
    ).body as Job;
    const cancelled = await request(app).post(`/v1/jobs/${created.id}/cancel`).set(auth());
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', seq: 2 });
    expect(h.cancels).toContain(created.id);
    expect(await h.line.state(created.id)).toBeNull();
    expect((await request(app).post(`/v1/jobs/${created.id}/cancel`).set(auth())).status).toBe(409);
    const retried = await request(app).post(`/v1/jobs/${created.id}/retry`).set(auth());
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', seq: 3, attempts: 0 });
    expect(await h.line.state(created.id)).toMatchObject({ state: 'waiting' });
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
    const own = await request(app)
      .post('/v1/realtime/auth')
      .set(auth())
      .type('form')
      .send({ socket_id: '123.456', channel_name: 'private-customer-acme' });
    expect(own.status).toBe(200);
    expect(own.body.auth).toMatch(/^pk:[0-9a-f]{64}$/);
    const other = await request(app)
      .post('/v1/realtime/auth')
      .set(auth())
      .type('form')
      .send({ socket_id: '123.456', channel_name: 'private-customer-globex' });
    expect(other.status).toBe(403);
    const bad = await request(app)
      .post('/v1/realtime/auth')
      .set(auth())
      .type('form')
      .send({ socket_id: 'x', channel_name: 'private-customer-acme' });
    expect(bad.status).toBe(400);
  });

  it('allows CORS from the dashboard origin only', async () => {
    const ok = await request(app)
      .options('/v1/jobs')
      .set('Origin', 'http://dash.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe('http://dash.example');
    const evil = await request(app)
      .options('/v1/jobs')
      .set('Origin', 'http://evil.example')
      .set('Access-Control-Request-Method', 'POST');
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

  it('sends helmet security headers on every response, errors included', async () => {
    const responses: [string, request.Response][] = [
      ['GET /healthz', await request(app).get('/healthz')],
      ['GET /v1/me', await request(app).get('/v1/me').set(auth())],
      ['GET /v1/me', await request(app).get('/v1/me')],
      ['GET /nope', await request(app).get('/nope')],
      ['POST /v1/jobs', await request(app).post('/v1/jobs').set(auth()).send({})],
      ['GET /openapi.json', await request(app).get('/openapi.json')],
    ];
    for (const [label, res] of responses) {
      expect(res.headers['x-content-type-options'], label).toBe('nosniff');
      expect(res.headers['content-security-policy'], label).toContain("default-src 'none'");
      expect(res.headers['strict-transport-security'], label).toMatch(/max-age=/);
      expect(res.headers['x-frame-options'], label).toBeDefined();
      expect(res.headers['x-powered-by'], label).toBeUndefined();
      expect(res.headers['x-request-id'], label).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('keeps the JSON error shape on every 4xx', async () => {
    const cases: [string, request.Response][] = [
      ['GET /v1/jobs', await request(app).get('/v1/jobs')],
      ['GET /v1/jobs/x', await request(app).get('/v1/jobs/x').set(auth())],
      ['GET /v1/jobs?limit=0', await request(app).get('/v1/jobs?limit=0').set(auth())],
      ['GET /v1/jobs/%E0%A4%A', await request(app).get('/v1/jobs/%E0%A4%A').set(auth())],
      [
        'POST /v1/jobs',
        await request(app).post('/v1/jobs').set(auth()).set('content-type', 'application/json').send('{'),
      ],
      [
        'POST /v1/jobs',
        await request(app)
          .post('/v1/jobs')
          .set(auth())
          .set('Idempotency-Key', 'k'.repeat(256))
          .send({ input: input(), outputs: [{ preset: 'mp4-360p' }] }),
      ],
      ['POST /v1/uploads', await request(app).post('/v1/uploads').set(auth())],
      ['POST /v1/realtime/auth', await request(app).post('/v1/realtime/auth').set(auth()).send({})],
      ['GET /admin/queues', await request(app).get('/admin/queues')],
      ['DELETE /v1/presets', await request(app).delete('/v1/presets').set(auth())],
    ];
    for (const [label, res] of cases) {
      expect(res.status, label).toBeGreaterThanOrEqual(400);
      expect(res.status, label).toBeLessThan(500);
      expect(res.headers['content-type'], label).toMatch(/^application\/json/);
      expect(res.body, label).toEqual({
        error: {
          code: expect.any(String),
          message: expect.any(String),
          ...(res.body.error.fields ? { fields: expect.any(Array) } : {}),
        },
      });
    }
  });

  it('accepts http(s) inputs without credentials and refuses those with', async () => {
    const ok = await request(app)
      .post('/v1/jobs')
      .set(auth())
      .send({ input: 'https://media.example.com/in.mp4', outputs: [{ preset: 'mp4-360p' }] });
    expect(ok.status).toBe(202);
    expect(ok.body.input).toBe('https://media.example.com/in.mp4');
    const creds = await request(app)
      .post('/v1/jobs')
      .set(auth())
      .send({ input: 'https://me:pw@media.example.com/in.mp4', outputs: [{ preset: 'mp4-360p' }] });
    expect(creds.status).toBe(400);
    expect(creds.body.error.fields).toEqual([{ path: 'input', message: expect.stringMatching(/credentials/) }]);
  });
  it("GET /v1/stats counts the customer's own jobs", async () => {
    const all = (await request(app).get('/v1/jobs?limit=100').set(auth())).body.data as Job[];
    const res = await request(app).get('/v1/stats').set(auth());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ meanEncodeSpeed: null, scannedJobs: all.length, truncated: false });
    expect(res.body.counts.queued).toBe(all.filter((j) => j.status === 'queued').length);
    expect(res.body.counts.cancelled).toBe(all.filter((j) => j.status === 'cancelled').length);
    expect(res.body.jobsPerHour).toHaveLength(24);
    expect(res.body.jobsPerHour.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(all.length);
    const other = await request(app).get('/v1/stats').set(auth(KEY_B));
    expect(other.body.scannedJobs).toBe(0);
    expect(Object.values(other.body.counts).every((n) => n === 0)).toBe(true);
  });
});

import { LocalStorage } from '@kiln/storage';
import type { Job } from '@kiln/jobs';
import type { Express } from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { redisRateLimitStore } from '../middleware/rate-limit.middleware.js';
import { SignedTokensService } from '../services/signed-tokens.service.js';
import { bearer, KEY_A, KEY_B, useApiHarness } from '../testing/api-harness.js';
import { finishedJob } from '../testing/finished-job.js';

const SECRET = 'viewer-spec-signing-secret-0123456789abcdef';
const PAGE = 'https://customer.example';

describe('viewer tokens: POST /v1/realtime/viewer-tokens and what a token may do', () => {
  const harness = useApiHarness({}, { KILN_SIGNING_SECRET: SECRET });
  let app: Express;
  let job: Job;
  let other: Job;
  let globexJob: string;

  async function mint(body: object = {}, key = KEY_A): Promise<request.Response> {
    return request(app).post('/v1/realtime/viewer-tokens').set(bearer(key)).send(body);
  }
  const create = async (key: string) =>
    (
      await request(app)
        .post('/v1/jobs')
        .set(bearer(key))
        .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs: [{ preset: 'mp4-360p' }] })
    ).body.id as string;
  const authorize = (token: string, channel: string) =>
    request(app)
      .post('/v1/realtime/auth')
      .set(bearer(token))
      .type('form')
      .send({ socket_id: '123.456', channel_name: channel });

  beforeAll(async () => {
    app = harness().app;
    job = await finishedJob(harness(), new LocalStorage(harness().storageDir));
    other = await finishedJob(harness(), new LocalStorage(harness().storageDir));
    globexJob = await create(KEY_B);
  });

  it('mints a job token and a customer token with their channel, for an hour by default', async () => {
    const before = Date.now();
    const forJob = await mint({ jobId: job.id });
    expect(forJob.status).toBe(201);
    expect(forJob.body).toEqual({
      token: expect.any(String),
      channel: `private-job-${job.id}`,
      expiresAt: expect.any(String),
    });
    const ttl = (Date.parse(forJob.body.expiresAt as string) - before) / 1000;
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    const customer = await mint({ ttlSeconds: 86400 });
    expect([customer.status, customer.body.channel]).toEqual([201, 'private-customer-acme']);
    expect(Date.parse(customer.body.expiresAt as string) - Date.now()).toBeGreaterThan(86300_000);
  });

  it("answers 400 naming the field, and 404 for another customer's or an unknown job", async () => {
    for (const [body, field] of [
      [{ ttlSeconds: 0 }, 'ttlSeconds'],
      [{ ttlSeconds: 86401 }, 'ttlSeconds'],
      [{ ttlSeconds: '60' }, 'ttlSeconds'],
      [{ jobId: '' }, 'jobId'],
      [{ jobId: 42 }, 'jobId'],
    ] as const) {
      const res = await mint(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.fields[0].path).toBe(field);
    }
    expect((await mint({ jobId: globexJob })).status).toBe(404);
    expect((await mint({ jobId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it("lets a job token read its job, its outputs and /v1/me, and nothing else of the customer's", async () => {
    const token = (await mint({ jobId: job.id })).body.token as string;
    const me = await request(app).get('/v1/me').set(bearer(token));
    expect([me.status, me.body.customerId, me.body.channel]).toEqual([200, 'acme', `private-job-${job.id}`]);
    expect((await request(app).get(`/v1/jobs/${job.id}`).set(bearer(token))).body.id).toBe(job.id);
    const signed = await request(app).get(`/v1/jobs/${job.id}?signed=true`).set(bearer(token));
    expect(signed.body.outputs[0].signedUrl).toMatch(/\/play\//);
    expect((await request(app).get(`/v1/jobs/${job.id}/outputs/mp4-360p`).set(bearer(token))).status).toBe(200);
    // Another job of the same customer does not exist for it.
    for (const path of [`/v1/jobs/${other.id}`, `/v1/jobs/${other.id}/outputs/mp4-360p`]) {
      const res = await request(app).get(path).set(bearer(token));
      expect([res.status, res.body.error.code], path).toEqual([404, 'not_found']);
    }
    for (const [method, path] of [
      ['get', '/v1/jobs'],
      ['post', '/v1/jobs'],
      ['get', '/v1/usage'],
      ['get', '/v1/stats'],
      ['get', '/v1/presets'],
      ['post', `/v1/jobs/${job.id}/cancel`],
      ['post', `/v1/jobs/${job.id}/retry`],
      ['delete', `/v1/jobs/${job.id}`],
      ['post', `/v1/jobs/${job.id}/outputs/mp4-360p/url`],
      ['post', '/v1/realtime/viewer-tokens'],
      ['post', '/v1/uploads'],
    ] as const) {
      const res = await request(app)[method](path).set(bearer(token));
      expect([res.status, res.body.error?.code], `${method} ${path}`).toEqual([403, 'viewer_token_scope']);
    }
  });

  it("lets a customer token list and read the customer's jobs, not another customer's, and nothing else", async () => {
    const token = (await mint()).body.token as string;
    const list = await request(app).get('/v1/jobs').set(bearer(token));
    expect(list.status).toBe(200);
    expect((list.body.data as Job[]).map((j) => j.id)).toEqual(expect.arrayContaining([job.id, other.id]));
    expect((list.body.data as Job[]).every((j) => j.customerId === 'acme')).toBe(true);
    expect((await request(app).get(`/v1/jobs/${other.id}`).set(bearer(token))).status).toBe(200);
    expect((await request(app).get(`/v1/jobs/${globexJob}`).set(bearer(token))).status).toBe(404);
    expect((await request(app).get('/v1/me').set(bearer(token))).body.channel).toBe('private-customer-acme');
    const post = await request(app).post('/v1/jobs').set(bearer(token)).send({});
    expect([post.status, post.body.error.code]).toEqual([403, 'viewer_token_scope']);
  });

  it('answers 401 for an expired, forged or playback token used as a bearer', async () => {
    const past = new SignedTokensService(SECRET, () => new Date(Date.now() - 7200_000));
    const expired = (await past.mintViewer({ customerId: 'acme', jobId: job.id }, 60)).token;
    const forged = (await new SignedTokensService('y'.repeat(40)).mintViewer({ customerId: 'acme' }, 60)).token;
    const playback = new URL(
      (await request(app).post(`/v1/jobs/${job.id}/outputs/hls/url`).set(bearer())).body.url as string,
    ).pathname.split('/')[2]!;
    for (const [token, message] of [
      [expired, /expired/],
      [forged, /invalid viewer token/],
      [playback, /invalid viewer token/],
    ] as const) {
      const res = await request(app).get('/v1/me').set(bearer(token));
      expect([res.status, res.body.error.code]).toEqual([401, 'unauthorized']);
      expect(res.body.error.message).toMatch(message);
    }
  });

  it('authorizes an API key for its channel and its jobs’ channels, a viewer token for its own channel only', async () => {
    const opened: string[] = [];
    app = harness().sibling({ onChannelAuthorized: (channel) => void opened.push(channel) });
    const ok = async (token: string, channel: string) => {
      const res = await authorize(token, channel);
      expect(res.status, `${channel}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.auth).toMatch(/^[^:]+:[0-9a-f]{64}$/);
    };
    const refused = async (token: string, channel: string, code: string) => {
      const res = await authorize(token, channel);
      expect([res.status, res.body.error?.code], channel).toEqual([403, code]);
    };
    try {
      await ok(KEY_A, 'private-customer-acme');
      await ok(KEY_A, `private-job-${job.id}`);
      await refused(KEY_A, `private-job-${globexJob}`, 'forbidden');
      await refused(KEY_A, 'private-job-00000000-0000-4000-8000-000000000000', 'forbidden');
      await refused(KEY_A, 'private-customer-globex', 'forbidden');
      const jobToken = (await mint({ jobId: job.id })).body.token as string;
      await ok(jobToken, `private-job-${job.id}`);
      await refused(jobToken, `private-job-${other.id}`, 'viewer_token_scope');
      await refused(jobToken, 'private-customer-acme', 'viewer_token_scope');
      const customerToken = (await mint()).body.token as string;
      await ok(customerToken, 'private-customer-acme');
      await refused(customerToken, `private-job-${job.id}`, 'viewer_token_scope');
      expect(opened).toEqual([
        'private-customer-acme',
        `private-job-${job.id}`,
        `private-job-${job.id}`,
        'private-customer-acme',
      ]);
    } finally {
      app = harness().app;
    }
  });

  it('answers CORS for any origin on the viewer routes, and only the dashboard origins elsewhere', async () => {
    const preflight = (path: string, method: string, origin = PAGE) =>
      request(app)
        .options(path)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', 'authorization');
    for (const [path, method] of [
      ['/v1/me', 'GET'],
      ['/v1/jobs', 'GET'],
      [`/v1/jobs/${job.id}`, 'GET'],
      [`/v1/jobs/${job.id}/outputs/hls/master.m3u8`, 'GET'],
      ['/v1/realtime/auth', 'POST'],
    ]) {
      const res = await preflight(path!, method!);
      expect(res.headers['access-control-allow-origin'], path).toBe('*');
      expect(res.headers['access-control-allow-headers'], path).toContain('Authorization');
    }
    for (const [path, method] of [
      ['/v1/jobs', 'POST'],
      ['/v1/realtime/viewer-tokens', 'POST'],
      [`/v1/jobs/${job.id}/outputs/hls/url`, 'POST'],
      ['/v1/usage', 'GET'],
    ]) {
      expect((await preflight(path!, method!)).headers['access-control-allow-origin'], path).toBeUndefined();
      expect((await preflight(path!, method!, 'http://dash.example')).headers['access-control-allow-origin']).toBe(
        'http://dash.example',
      );
    }
  });

  it("counts a viewer token's requests in a bucket of its own, never in its customer's key's", async () => {
    const limited = harness().sibling({
      rateLimit: { perMinute: 2, store: redisRateLimitStore(harness().redis, harness().prefix) },
    });
    const token = (await mint({ jobId: job.id })).body.token as string;
    const second = (await mint({ jobId: job.id })).body.token as string;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await request(limited).get('/v1/me').set(bearer(token))).status);
    expect(statuses).toEqual([200, 200, 429]);
    const over = await request(limited).get('/v1/me').set(bearer(token));
    expect(over.body.error.message).toContain('per viewer token');
    // The customer's key, and another viewer token, still have their whole budget.
    expect((await request(limited).get('/v1/me').set(bearer(KEY_A))).status).toBe(200);
    expect((await request(limited).get('/v1/me').set(bearer(second))).status).toBe(200);
  });
});

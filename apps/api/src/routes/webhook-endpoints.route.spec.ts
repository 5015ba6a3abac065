import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, KEY_A, KEY_B, useApiHarness } from '../testing/api-harness.js';
import { MAX_WEBHOOK_ENDPOINTS } from './webhook-endpoints.route.js';

describe('/v1/webhook-endpoints and the delivery routes', () => {
  const harness = useApiHarness({}, { KILN_WEBHOOK_ALLOW_HOSTS: '10.9.0.0/16' });
  const post = (body: unknown, key = KEY_A) =>
    request(harness().app)
      .post('/v1/webhook-endpoints')
      .set(bearer(key))
      .send(body as object);

  it('creates an endpoint for every event by default and shows its secret only once', async () => {
    const res = await post({ url: 'https://hooks.example/kiln', description: 'orders' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/webhook-endpoints/${res.body.id as string}`);
    expect(res.body).toMatchObject({
      url: 'https://hooks.example/kiln',
      events: ['job.completed', 'job.failed', 'job.cancelled', 'output.completed'],
      description: 'orders',
      status: 'enabled',
      disabledReason: null,
      secret: expect.stringMatching(/^whsec_/),
    });
    const one = await request(harness().app)
      .get(`/v1/webhook-endpoints/${res.body.id as string}`)
      .set(bearer());
    expect(one.body).not.toHaveProperty('secret');
    const list = await request(harness().app).get('/v1/webhook-endpoints').set(bearer());
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    // Another customer sees none of it.
    expect(
      (
        await request(harness().app)
          .get(`/v1/webhook-endpoints/${res.body.id as string}`)
          .set(bearer(KEY_B))
      ).status,
    ).toBe(404);
    expect(
      (
        await request(harness().app)
          .delete(`/v1/webhook-endpoints/${res.body.id as string}`)
          .set(bearer(KEY_B))
      ).status,
    ).toBe(404);
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://hooks.example/x' }, 'url'],
    [{ url: 'https://user:pw@hooks.example/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://hooks.example/x', events: ['job.progress'] }, 'events.0'],
    [{ url: 'https://hooks.example/x', events: [] }, 'events'],
    [{ url: 'https://hooks.example/x', secret: 'mine' }, '(body)'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect((res.body.error.fields as { path: string }[]).map((f) => f.path)).toContain(field);
  });

  it('refuses a private or loopback IP receiver unless KILN_WEBHOOK_ALLOW_HOSTS covers it', async () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://169.254.169.254/latest', 'http://[::1]/x']) {
      const res = await post({ url });
      expect(res.status, url).toBe(400);
      expect(res.body.error.fields[0]).toMatchObject({
        path: 'url',
        message: expect.stringContaining('KILN_WEBHOOK_ALLOW_HOSTS'),
      });
    }
    expect((await post({ url: 'http://10.9.3.4/x' })).status).toBe(201);
  });

  it(`caps a customer at ${MAX_WEBHOOK_ENDPOINTS} endpoints with a 409 that says so`, async () => {
    const have = (await request(harness().app).get('/v1/webhook-endpoints').set(bearer(KEY_B))).body.endpoints
      .length as number;
    for (let i = have; i < MAX_WEBHOOK_ENDPOINTS; i++)
      expect((await post({ url: `https://h.example/${i}` }, KEY_B)).status).toBe(201);
    const res = await post({ url: 'https://h.example/over' }, KEY_B);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'webhook_endpoint_limit',
      message: expect.stringContaining(`${MAX_WEBHOOK_ENDPOINTS}`),
    });
  });

  it('rotates a secret, re-enables, deletes; unknown jobs and deliveries are 404s', async () => {
    const { body: created } = await post({ url: 'https://hooks.example/rot' });
    const app = harness().app;
    const rotated = await request(app)
      .post(`/v1/webhook-endpoints/${created.id as string}/rotate-secret`)
      .set(bearer());
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({
      secret: expect.stringMatching(/^whsec_/),
      previousSecretExpiresAt: expect.any(String),
    });
    expect(rotated.body.secret).not.toBe(created.secret);
    const enabled = await request(app)
      .post(`/v1/webhook-endpoints/${created.id as string}/enable`)
      .set(bearer());
    expect(enabled.body).toMatchObject({
      status: 'enabled',
      previousSecretExpiresAt: rotated.body.previousSecretExpiresAt,
    });
    expect(
      (
        await request(app)
          .delete(`/v1/webhook-endpoints/${created.id as string}`)
          .set(bearer())
      ).status,
    ).toBe(204);
    expect(
      (
        await request(app)
          .delete(`/v1/webhook-endpoints/${created.id as string}`)
          .set(bearer())
      ).status,
    ).toBe(404);
    expect((await request(app).get('/v1/jobs/nope/deliveries').set(bearer())).status).toBe(404);
    expect((await request(app).post('/v1/deliveries/dlv_nope/replay').set(bearer())).status).toBe(404);
  });
});

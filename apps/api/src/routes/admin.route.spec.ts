import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, useApiHarness } from '../testing/api-harness.js';

describe('Bull Board at /admin/queues', () => {
  let h: ApiHarness;

  const harness = useApiHarness();
  beforeAll(() => {
    h = harness();
  });

  it('is not mounted without admin credentials', async () => {
    const res = await request(h.app).get('/admin/queues').auth('ops', 'whatever-pass');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('asks for basic auth, refuses wrong credentials, and serves the board and its API with the right ones', async () => {
    const app = h.sibling({ admin: { user: 'ops', password: 'correct-horse', queues: [h.queue], fleet: h.fleet } });
    const anonymous = await request(app).get('/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="Kiln admin"/);
    expect(anonymous.body.error.code).toBe('unauthorized');
    for (const [user, password] of [
      ['ops', 'wrong-horse'],
      ['opsx', 'correct-horse'],
      ['ops', 'correct-horse-'],
      ['', ''],
    ] as const) {
      expect((await request(app).get('/admin/queues').auth(user, password)).status, `${user}:${password}`).toBe(401);
    }
    expect((await request(app).get('/admin/queues').set('Authorization', 'Basic !!!')).status).toBe(401);
    expect((await request(app).get('/admin/queues/api/queues')).status).toBe(401);

    const page = await request(app).get('/admin/queues').auth('ops', 'correct-horse');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<div id="root">');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const api = await request(app).get('/admin/queues/api/queues').auth('ops', 'correct-horse');
    expect(api.status).toBe(200);
    expect(JSON.stringify(api.body)).toContain('"name":"encode"');
  });
});

import { Writable } from 'node:stream';
import { createLogger } from '@kiln/logger';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_A, type ApiHarness, useApiHarness } from '../testing/api-harness.js';

describe('request logs', () => {
  let h: ApiHarness;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });

  const harness = useApiHarness();
  beforeAll(() => {
    h = harness();
  });

  it('logs each request with customerId once authenticated and never an API key or admin password', async () => {
    const app = h.sibling({
      logger: createLogger({ name: 'api', level: 'info' }, sink),
      admin: { user: 'ops', password: 'admin-pass-s3cret', queues: [h.queue], fleet: h.fleet },
    });
    await request(app).get('/v1/me?x=1').set(bearer(KEY_A)).expect(200);
    await request(app).get('/v1/jobs').set('Authorization', 'Bearer guessed-key-0123456789').expect(401);
    await request(app).get('/admin/queues').auth('ops', 'admin-pass-s3cret').expect(200);
    await request(app).get('/healthz').expect(200);
    await request(app).get('/play/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJl/master.m3u8').expect(403);
    await new Promise((r) => setImmediate(r));

    const all = lines.join('\n');
    expect(all).not.toContain(KEY_A);
    expect(all).not.toContain('guessed-key-0123456789');
    expect(all).not.toContain(Buffer.from('ops:admin-pass-s3cret').toString('base64'));
    expect(all).not.toContain('admin-pass-s3cret');

    const entries = lines.map(
      (l) =>
        JSON.parse(l) as {
          msg: string;
          customerId?: string;
          req?: { url: string; headers: Record<string, string> };
          res?: { statusCode: number };
        },
    );
    // The query string is never logged (a key could be in it).
    const me = entries.find((e) => e.req?.url === '/v1/me');
    expect(me).toMatchObject({
      customerId: 'acme',
      res: { statusCode: 200 },
      req: { headers: { authorization: '[redacted]' } },
    });
    const denied = entries.find((e) => e.req?.url === '/v1/jobs');
    expect(denied).toMatchObject({ res: { statusCode: 401 }, req: { headers: { authorization: '[redacted]' } } });
    expect(denied?.customerId).toBeUndefined();
    expect(entries.find((e) => e.req?.url === '/admin/queues')?.req?.headers.authorization).toBe('[redacted]');
    expect(entries.some((e) => e.req?.url === '/healthz')).toBe(false);
    // A signed URL's token is a credential: logged as a placeholder.
    expect(all).not.toContain('c2lnbmF0dXJl');
    expect(entries.find((e) => e.req?.url === '/play/[token]/master.m3u8')?.res?.statusCode).toBe(403);
  });

  it('writes no request lines above info, and still gives every response an X-Request-Id', async () => {
    const quiet: string[] = [];
    const quietSink = new Writable({
      write(chunk: Buffer, _enc, done) {
        quiet.push(chunk.toString());
        done();
      },
    });
    const app = h.sibling({ logger: createLogger({ name: 'api', level: 'warn' }, quietSink) });
    const res = await request(app).get('/v1/me').set(bearer(KEY_A)).expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setImmediate(r));
    expect(quiet).toEqual([]);
  });
});

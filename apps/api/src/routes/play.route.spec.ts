import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Job } from '@kiln/jobs';
import { LocalStorage } from '@kiln/storage';
import { walkHlsPlaylists } from '@kiln/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedTokensService } from '../services/signed-tokens.service.js';
import { bearer, KEY_B, useApiHarness } from '../testing/api-harness.js';
import { finishedJob, HLS_FILES } from '../testing/finished-job.js';

const SECRET = 'play-spec-signing-secret-0123456789abcdef';
const sha = (b: string) => createHash('sha256').update(b, 'latin1').digest('hex');
const bytes = (res: request.Request) =>
  res.buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });

describe('signed output URLs: POST /v1/jobs/:id/outputs/:name/url and GET /play/<token>/<path>', () => {
  const harness = useApiHarness({}, { KILN_SIGNING_SECRET: SECRET });
  let app: Express;
  let job: Job;
  let origin: string;
  const servers: { close(): void }[] = [];

  /** A signed URL of `name`, as a path (the origin is the test server's). */
  async function signed(name: string, body: object = {}): Promise<string> {
    const res = await request(app).post(`/v1/jobs/${job.id}/outputs/${name}/url`).set(bearer()).send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return new URL(res.body.url as string).pathname;
  }

  beforeAll(async () => {
    app = harness().app;
    job = await finishedJob(harness(), new LocalStorage(harness().storageDir));
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('signs a URL naming the entry file, for an hour by default, at the origin the request came to', async () => {
    const before = Date.now();
    const res = await request(origin).post(`/v1/jobs/${job.id}/outputs/hls/url`).set(bearer());
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(new RegExp(`^${origin}/play/[\\w-]+\\.[\\w-]+\\.[\\w-]+/master\\.m3u8$`));
    const ttl = (Date.parse(res.body.expiresAt as string) - before) / 1000;
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await signed('mp4-360p')).toMatch(/\/mp4-360p\.mp4$/);
    expect(await signed('thumbnails')).toMatch(/\/thumb-01\.jpg$/);
    const week = await request(app)
      .post(`/v1/jobs/${job.id}/outputs/mp4-360p/url`)
      .set(bearer())
      .send({ ttlSeconds: 604800 });
    expect(Date.parse(week.body.expiresAt as string) - Date.now()).toBeGreaterThan(604700_000);
  });

  it('starts URLs with KILN_PUBLIC_URL when set, else with what a loopback proxy forwarded', async () => {
    const proxied = harness().sibling({ publicUrl: 'https://media.example.com/kiln' });
    const res = await request(proxied).post(`/v1/jobs/${job.id}/outputs/hls/url`).set(bearer());
    expect(res.body.url).toMatch(/^https:\/\/media\.example\.com\/kiln\/play\/[^/]+\/master\.m3u8$/);
    const forwarded = await request(app)
      .post(`/v1/jobs/${job.id}/outputs/hls/url`)
      .set(bearer())
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'edge.example.net');
    expect(forwarded.body.url).toMatch(/^https:\/\/edge\.example\.net\/play\//);
  });

  it('plays a URL signed by another API process with the same KILN_SIGNING_SECRET, not with another secret', async () => {
    const path = await signed('mp4-360p');
    expect((await request(harness().sibling({ tokens: new SignedTokensService(SECRET) })).get(path)).status).toBe(200);
    const stranger = harness().sibling({ tokens: new SignedTokensService('z'.repeat(40)) });
    expect((await request(stranger).get(path)).body.error.code).toBe('signed_url_invalid');
  });

  it('answers 400 naming ttlSeconds, 404 for unknown jobs and outputs, 409 for a job not completed', async () => {
    for (const ttlSeconds of [0, 604801, 'x', 1.5, -5]) {
      const res = await request(app).post(`/v1/jobs/${job.id}/outputs/hls/url`).set(bearer()).send({ ttlSeconds });
      expect(res.status, String(ttlSeconds)).toBe(400);
      expect(res.body.error.fields[0].path).toBe('ttlSeconds');
    }
    const url = (id: string, name: string) => `/v1/jobs/${id}/outputs/${name}/url`;
    for (const [path, key] of [
      [url('00000000-0000-4000-8000-000000000000', 'hls'), undefined],
      [url(job.id, 'nope'), undefined],
      [url(job.id, 'hls'), KEY_B],
    ] as const) {
      const res = await request(app).post(path).set(bearer(key));
      expect(res.status, path).toBe(404);
    }
    const queued = await request(app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/b.mp4`, outputs: [{ preset: 'mp4-360p' }] });
    const conflict = await request(app)
      .post(url(queued.body.id as string, 'mp4-360p'))
      .set(bearer());
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'conflict']);
  });

  it('plays every URI of the HLS output with no credentials: the playlists resolve under the token', async () => {
    const walk = await walkHlsPlaylists(`${origin}${await signed('hls')}`, (u) => fetch(u));
    expect(walk.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.url}`)).toEqual([]);
    expect(walk).toHaveLength(Object.keys(HLS_FILES).length);
  });

  it('serves a file output inline with Range, 416, ETag and CORS for any origin, as the outputs route does', async () => {
    const path = await signed('mp4-360p');
    const whole = await bytes(request(app).get(path).set('Origin', 'https://customer.example'));
    expect(whole.status).toBe(200);
    expect((whole.body as Buffer).toString()).toBe('not really a video');
    expect(whole.headers['content-type']).toBe('video/mp4');
    expect(whole.headers['content-disposition']).toBeUndefined();
    expect(whole.headers['access-control-allow-origin']).toBe('*');
    expect(whole.headers['access-control-expose-headers']).toContain('Content-Range');
    expect(whole.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const ranged = await bytes(request(app).get(path).set('Range', 'bytes=4-9'));
    expect([ranged.status, ranged.headers['content-range'], (ranged.body as Buffer).toString()]).toEqual([
      206,
      'bytes 4-9/18',
      'really',
    ]);
    expect((await request(app).get(path).set('Range', 'bytes=100-')).status).toBe(416);
    expect(
      (
        await request(app)
          .get(path)
          .set('If-None-Match', `"${sha('not really a video')}"`)
      ).status,
    ).toBe(304);
    const preflight = await request(app)
      .options(path)
      .set('Origin', 'https://customer.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'range');
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-headers']).toContain('Range');
  });

  it('is a 404 for any path outside the output the token names', async () => {
    const [hls, mp4] = [await signed('hls'), await signed('mp4-360p')];
    const token = (p: string) => p.split('/')[2]!;
    for (const bad of [
      `/play/${token(hls)}/nope.m3u8`,
      `/play/${token(hls)}/v0/../../mp4-360p.mp4`,
      `/play/${token(hls)}/..%2fthumbnails%2fthumb-01.jpg`,
      `/play/${token(hls)}/mp4-360p.mp4`,
      `/play/${token(mp4)}/master.m3u8`,
      `/play/${token(mp4)}/other.mp4`,
      `/play/${token(mp4)}/mp4-360p.mp4/x`,
      `/play/${token(mp4)}`,
    ]) {
      const res = await request(app).get(bad);
      expect(res.status, bad).toBe(404);
    }
  });

  it('answers 403 signed_url_expired for an expired URL and signed_url_invalid for a forged one or another kind', async () => {
    const tokens = new SignedTokensService(SECRET, () => new Date(Date.now() - 7200_000));
    const grant = { customerId: 'acme', jobId: job.id, output: 'mp4-360p', finishedAt: job.finishedAt! };
    const expired = (await tokens.mintPlayback(grant, 60)).token;
    const res = await request(app).get(`/play/${expired}/mp4-360p.mp4`).set('Origin', 'https://customer.example');
    expect([res.status, res.body.error.code]).toEqual([403, 'signed_url_expired']);
    expect(res.headers['access-control-allow-origin']).toBe('*');

    const forged = (await new SignedTokensService('x'.repeat(40)).mintPlayback(grant, 60)).token;
    const viewer = (await new SignedTokensService(SECRET).mintViewer({ customerId: 'acme', jobId: job.id }, 60)).token;
    const genuine = (await signed('mp4-360p')).split('/')[2]!;
    const [h, p, s] = genuine.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const otherOutput = [h, Buffer.from(JSON.stringify({ ...payload, out: 'hls' })).toString('base64url'), s].join('.');
    for (const token of [forged, viewer, otherOutput, 'garbage', 'a.b.c']) {
      const r = await request(app).get(`/play/${token}/mp4-360p.mp4`);
      expect([r.status, r.body.error.code], token).toEqual([403, 'signed_url_invalid']);
    }
  });

  it('stops a URL working once the job finished again (a retry), with signed_url_invalid', async () => {
    const own = await finishedJob(harness(), new LocalStorage(harness().storageDir));
    const res = await request(app).post(`/v1/jobs/${own.id}/outputs/mp4-360p/url`).set(bearer());
    const path = new URL(res.body.url as string).pathname;
    expect((await request(app).get(path)).status).toBe(200);
    await harness().repo.update(own.id, { finishedAt: new Date(Date.now() + 1000).toISOString() });
    const again = await request(app).get(path);
    expect([again.status, again.body.error.code]).toEqual([403, 'signed_url_invalid']);
    expect(again.body.error.message).toMatch(/encoded again/);
  });

  it('adds signedUrl and signedUrlExpiresAt to completed outputs on GET /v1/jobs/:id?signed=true, and 400 for a bad flag', async () => {
    const res = await request(app).get(`/v1/jobs/${job.id}?signed=true`).set(bearer());
    expect(res.status).toBe(200);
    for (const o of (res.body as Job).outputs) {
      expect(o.signedUrl, o.name).toMatch(/\/play\/[^/]+\/.+/);
      expect(Date.parse(o.signedUrlExpiresAt!) - Date.now()).toBeGreaterThan(3500_000);
      expect((await request(app).get(new URL(o.signedUrl!).pathname)).status, o.name).toBe(200);
    }
    const plain = await request(app).get(`/v1/jobs/${job.id}`).set(bearer());
    expect(plain.body.outputs[0]).not.toHaveProperty('signedUrl');
    const bad = await request(app).get(`/v1/jobs/${job.id}?signed=yes`).set(bearer());
    expect([bad.status, bad.body.error.fields[0].path]).toEqual([400, 'query.signed']);
    const queued = await request(app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/c.mp4`, outputs: [{ preset: 'mp4-360p' }] });
    const unsigned = await request(app).get(`/v1/jobs/${queued.body.id}?signed=true`).set(bearer());
    expect(unsigned.body.outputs[0]).not.toHaveProperty('signedUrl');
  });
});

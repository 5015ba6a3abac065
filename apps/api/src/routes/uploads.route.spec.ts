import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startRedis, waitFor, type RedisHandle } from '@kiln/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_B, startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { postChunked } from '../testing/post-chunked.js';

const MAX = 64 * 1024;

describe('POST /v1/uploads', () => {
  let redisServer: RedisHandle;
  let h: ApiHarness;
  let listening: http.Server;
  const uploadsDir = (customer: string) => path.join(h.storageDir, 'uploads', customer);
  const filesOf = async (customer: string) => readdir(uploadsDir(customer)).catch(() => [] as string[]);

  beforeAll(async () => {
    redisServer = await startRedis();
    h = await startApiHarness(redisServer.url, { maxUploadBytes: MAX });
    listening = h.app.listen(0, '127.0.0.1');
    await new Promise((r) => listening.once('listening', r));
  });
  afterAll(async () => {
    await new Promise((r) => listening?.close(r));
    await h?.close();
    await redisServer?.stop();
  });

  it('stores the raw body of any content type under uploads/<customer>/<id> and names it as an input', async () => {
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const res = await request(h.app).post('/v1/uploads').set(bearer()).set('content-type', 'video/mp4').send(bytes);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      sizeBytes: 5000,
      input: `upload://${res.body.id}`,
    });
    expect(await readFile(path.join(uploadsDir('acme'), res.body.id))).toEqual(bytes);
    expect(await filesOf('acme')).toEqual([res.body.id]); // no temp file left behind

    // Bodies the /v1 parsers would otherwise consume are stored as sent too.
    for (const [type, text] of [
      ['application/json', '{"not": "parsed"}'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
    ] as const) {
      const other = await request(h.app).post('/v1/uploads').set(bearer()).set('content-type', type).send(text);
      expect(other.status, type).toBe(201);
      expect(await readFile(path.join(uploadsDir('acme'), other.body.id), 'utf8')).toBe(text);
    }
  });

  it("lets a job use the customer's own upload, and only that", async () => {
    const up = await request(h.app)
      .post('/v1/uploads')
      .set(bearer())
      .set('content-type', 'video/mp4')
      .send(Buffer.alloc(100, 1));
    const job = await request(h.app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: up.body.input, outputs: [{ preset: 'mp4-360p' }] });
    expect(job.status).toBe(202);
    expect(job.body.input).toBe(`upload://${up.body.id}`);

    const other = await request(h.app)
      .post('/v1/jobs')
      .set(bearer(KEY_B))
      .send({ input: up.body.input, outputs: [{ preset: 'mp4-360p' }] });
    expect(other.status).toBe(400);
    expect(other.body.error.fields).toEqual([{ path: 'input', message: expect.stringMatching(/no upload/) }]);
    for (const input of [
      'upload://nope',
      'upload://../../etc/passwd',
      'upload://00000000-0000-4000-8000-000000000000',
    ]) {
      const res = await request(h.app)
        .post('/v1/jobs')
        .set(bearer())
        .send({ input, outputs: [{ preset: 'mp4-360p' }] });
      expect(res.status, input).toBe(400);
      expect(res.body.error.fields[0].path, input).toBe('input');
    }
  });

  it('413 before reading when Content-Length is over the limit', async () => {
    const before = await filesOf('globex');
    const res = await request(h.app)
      .post('/v1/uploads')
      .set(bearer(KEY_B))
      .set('content-type', 'video/mp4')
      .send(Buffer.alloc(MAX + 1));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({
      code: 'body_too_large',
      message: expect.stringContaining('KILN_MAX_UPLOAD_BYTES'),
    });
    expect(await filesOf('globex')).toEqual(before);
  });

  it('413 and the partial file removed when a chunked body goes over the limit', async () => {
    const before = await filesOf('acme');
    const chunks = Array.from({ length: 12 }, () => Buffer.alloc(8 * 1024, 7));
    const res = await postChunked(listening, chunks);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('body_too_large');
    expect(await filesOf('acme')).toEqual(before);

    const ok = await postChunked(listening, chunks.slice(0, 8));
    expect(ok.status).toBe(201);
    expect((await filesOf('acme')).length).toBe(before.length + 1);
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    const before = await filesOf('acme');
    const { port } = listening.address() as AddressInfo;
    const req = http.request({
      port,
      method: 'POST',
      path: '/v1/uploads',
      headers: { ...bearer(), 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => undefined);
    await new Promise<void>((r) => req.write(Buffer.alloc(8 * 1024, 1), () => r()));
    // Wait until the server has the temp file open, then drop the connection.
    await waitFor(async () => (await filesOf('acme')).some((f) => f.startsWith('.tmp-')), {
      timeoutMs: 5000,
      message: 'temp file',
    });
    req.destroy();
    await waitFor(async () => (await filesOf('acme')).length === before.length, {
      timeoutMs: 5000,
      message: 'partial upload removed',
    });
    expect(await filesOf('acme')).toEqual(before);
  });

  it('400 for an empty body, 401 without a key', async () => {
    const before = await filesOf('acme');
    for (const res of [
      await request(h.app).post('/v1/uploads').set(bearer()),
      await request(h.app).post('/v1/uploads').set(bearer()).set('content-type', 'video/mp4').send(Buffer.alloc(0)),
    ]) {
      expect(res.status).toBe(400);
      expect(res.body.error.fields).toEqual([{ path: '(body)', message: expect.stringMatching(/empty/) }]);
    }
    expect((await postChunked(listening, [])).status).toBe(400);
    expect(await filesOf('acme')).toEqual(before);
    expect((await request(h.app).post('/v1/uploads').send(Buffer.alloc(10))).status).toBe(401);
  });
});

import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Job, JobOutput } from '@kiln/jobs';
import { LocalStorage, S3Bucket, S3Storage } from '@kiln/storage';
import { startS3, walkHlsPlaylists, type S3Handle } from '@kiln/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, KEY_A, KEY_B, useApiHarness } from '../testing/api-harness.js';
import { finishedJob, HLS_FILES, THUMB_FILES } from '../testing/finished-job.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

const TYPES: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.vtt': 'text/vtt; charset=utf-8',
  '.jpg': 'image/jpeg',
};

describe('GET /v1/jobs/:id/outputs/:name/<file>', () => {
  const harness = useApiHarness();
  let s3: S3Handle;
  let scratch: string;
  let bucket: S3Bucket;
  const servers: { close(): void }[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    scratch = await mkdtemp(path.join(tmpdir(), 'kiln-outputs-spec-'));
    bucket = S3Bucket.fromOptions({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
      prefix: `test-${randomUUID()}/`,
    });
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    bucket?.destroy();
    await s3?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  /** The app listening on a loopback port, for fetch-based clients (the playlist walker). */
  async function listen(app: Express): Promise<string> {
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  describe.each([
    ['local storage', () => ({ app: harness().app, storage: new LocalStorage(harness().storageDir) })],
    [
      'S3 storage',
      () => {
        const storage = new S3Storage(bucket, scratch);
        return { app: harness().sibling({ storage }), storage };
      },
    ],
  ])('from %s', (_label, make) => {
    let app: Express;
    let job: Job;
    let hls: JobOutput;
    beforeAll(async () => {
      const built = make();
      app = built.app;
      job = await finishedJob(harness(), built.storage);
      hls = job.outputs.find((o) => o.name === 'hls')!;
    });

    it('serves every URI of every playlist, reached from the downloadPath, with its type, bytes and ETag', async () => {
      expect(hls.downloadPath).toBe(`/v1/jobs/${job.id}/outputs/hls/master.m3u8`);
      const base = await listen(app);
      const walk = await walkHlsPlaylists(`${base}${hls.downloadPath}`, (u) =>
        fetch(u, { headers: { authorization: `Bearer ${KEY_A}` } }),
      );
      expect(walk.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.url} (from ${e.from})`)).toEqual([]);
      const prefix = `${base}/v1/jobs/${job.id}/outputs/hls/`;
      expect(walk.map((e) => e.url.slice(prefix.length)).sort()).toEqual(Object.keys(HLS_FILES).sort());
      for (const e of walk) {
        const rel = e.url.slice(prefix.length);
        expect(e.contentType, rel).toBe(TYPES[path.extname(rel)]);
        expect(e.bytes, rel).toBe(Buffer.byteLength(HLS_FILES[rel]!, 'latin1'));
      }
      const seg = await request(app).get(`/v1/jobs/${job.id}/outputs/hls/v1/seg_000.m4s`).set(bearer());
      expect(seg.headers.etag).toBe(`"${sha(HLS_FILES['v1/seg_000.m4s']!)}"`);
      expect(seg.headers['content-disposition']).toBeUndefined();
    });

    it('answers ranges and conditional requests on a nested file as whole downloads do', async () => {
      const p = `/v1/jobs/${job.id}/outputs/hls/v0/seg_000.ts`;
      const ranged = await request(app)
        .get(p)
        .set(bearer())
        .set('Range', 'bytes=100-199')
        .buffer(true)
        .parse((res, cb) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => cb(null, Buffer.concat(chunks)));
        });
      expect(ranged.status).toBe(206);
      expect(ranged.headers['content-range']).toBe('bytes 100-199/1880');
      expect((ranged.body as Buffer).toString()).toBe('G'.repeat(100));
      const etag = `"${sha(HLS_FILES['v0/seg_000.ts']!)}"`;
      expect((await request(app).get(p).set(bearer()).set('If-None-Match', etag)).status).toBe(304);
      expect((await request(app).get(p).set(bearer()).set('Range', 'bytes=5000-')).status).toBe(416);
      const head = await request(app).head(p).set(bearer());
      expect([head.status, head.headers['content-length'], head.headers['content-type']]).toEqual([
        200,
        '1880',
        'video/mp2t',
      ]);
    });

    it('redirects the bare path of a directory output (old downloadPaths) to its entry file', async () => {
      const old = await request(app).get(`/v1/jobs/${job.id}/outputs/hls`).set(bearer());
      expect(old.status).toBe(302);
      expect(old.headers.location).toBe(hls.downloadPath);
      const thumbs = job.outputs.find((o) => o.name === 'thumbnails')!;
      expect(thumbs.downloadPath).toBe(`/v1/jobs/${job.id}/outputs/thumbnails/thumb-01.jpg`);
      expect((await request(app).head(`/v1/jobs/${job.id}/outputs/thumbnails`).set(bearer())).headers.location).toBe(
        thumbs.downloadPath,
      );
      // A player that follows the redirect resolves the master's URIs against where it landed.
      const base = await listen(app);
      const walk = await walkHlsPlaylists(`${base}/v1/jobs/${job.id}/outputs/hls`, (u) =>
        fetch(u, { headers: { authorization: `Bearer ${KEY_A}` } }),
      );
      expect(walk.filter((e) => e.status !== 200)).toEqual([]);
      expect(walk).toHaveLength(Object.keys(HLS_FILES).length);
      const thumb = await fetch(`${base}/v1/jobs/${job.id}/outputs/thumbnails`, {
        headers: { authorization: `Bearer ${KEY_A}` },
      });
      expect([
        thumb.status,
        thumb.headers.get('content-type'),
        Buffer.from(await thumb.arrayBuffer()).toString('latin1'),
      ]).toEqual([200, 'image/jpeg', THUMB_FILES['thumb-01.jpg']]);
      // A file output is still served at its own path.
      const mp4 = await request(app).get(`/v1/jobs/${job.id}/outputs/mp4-360p`).set(bearer());
      expect([mp4.status, mp4.headers['content-type']]).toEqual([200, 'video/mp4']);
    });

    it('is a 404 for unlisted files, paths leaving the output, files under a file output and other customers', async () => {
      const j = `/v1/jobs/${job.id}/outputs`;
      for (const bad of [
        `${j}/hls/nope.ts`,
        `${j}/hls/v0/seg_999.ts`,
        `${j}/hls/v0`,
        `${j}/hls/v0/`,
        `${j}/hls/../mp4-360p`,
        `${j}/hls/v0/../../thumbnails/thumb-01.jpg`,
        `${j}/hls/..%2fthumbnails%2fthumb-01.jpg`,
        `${j}/hls/v0%2f..%2f..%2fmp4-360p.mp4`,
        `${j}/hls/%2e%2e/thumbnails/thumb-01.jpg`,
        `${j}/hls/.%2fmaster.m3u8`,
        `${j}/hls//master.m3u8`,
        `${j}/hls/V0/INDEX.M3U8`,
        `${j}/mp4-360p/master.m3u8`,
        `${j}/nope/master.m3u8`,
      ]) {
        const res = await request(app).get(bad).set(bearer());
        expect(res.status, bad).toBe(404);
        expect(res.body.error?.code, bad).toBeDefined();
      }
      expect((await request(app).get(hls.downloadPath!).set(bearer(KEY_B))).status).toBe(404);
      expect((await request(app).get(`${j}/hls`).set(bearer(KEY_B))).status).toBe(404);
    });
  });
});

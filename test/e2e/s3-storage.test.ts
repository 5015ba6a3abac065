import { createHash } from 'node:crypto';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Job } from '@kiln/jobs';
import { makeClip, startS3, waitFor, walkHlsPlaylists, type S3Handle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const PREFIX = 'farm/';

describe('S3-compatible storage (s3rver on loopback)', () => {
  let s3: S3Handle;
  let client: S3Client;
  let stack: TestStack;
  let clip: string;
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.apiUrl}${p}`, { headers: { authorization: `Bearer ${stack.customers[0]!.key}`, ...headers } });

  /** Every key in the bucket under `prefix`, read with the SDK itself (not through Kiln). */
  async function keys(prefix: string): Promise<string[]> {
    const res = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function finish(id: string): Promise<Job> {
    let job: Job | undefined;
    await waitFor(
      async () => {
        job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 90_000, intervalMs: 100, message: `job ${id} to finish` },
    );
    return job!;
  }

  /** Files under the local storage dir: with S3 configured there must be none. */
  async function localFiles(): Promise<string[]> {
    return (await readdir(stack.storageDir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  }

  beforeAll(async () => {
    s3 = await startS3({ bucket: 'kiln-e2e' });
    client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    stack = await startTestStack({
      customers: ['acme'],
      workers: 1,
      env: { ...s3.s3Env(), KILN_S3_PREFIX: PREFIX, KILN_LOG_LEVEL: 'info' },
    });
    clip = await makeClip({ seconds: 2, width: 640, height: 360, audio: true });
    await copyFile(clip, path.join(stack.inputRoot, 'clip.mp4'));
  });
  afterAll(async () => {
    await stack?.stop();
    client?.destroy();
    await s3?.stop();
  });

  it('stores mp4 and HLS outputs in the bucket, records checksums and bitrate, and serves exact bytes and ranges', async () => {
    const created = await api()<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(path.join(stack.inputRoot, 'clip.mp4')).href,
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }],
    });
    expect(created.status).toBe(202);
    const job = await finish(created.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const [mp4, hls] = job.outputs;

    const base = `${PREFIX}acme/${job.id}/`;
    const stored = await keys(base);
    expect(stored).toContain(`${base}mp4-360p.mp4`);
    expect(stored.filter((k) => k.startsWith(`${base}hls/`))).toEqual(
      hls!.files!.map((f) => `${base}hls/${f.path}`).sort(),
    );
    expect(hls!.files!.map((f) => f.path)).toContain('master.m3u8');
    expect(await localFiles()).toEqual([]);

    expect(mp4).toMatchObject({
      status: 'completed',
      height: 360,
      checksum: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(mp4!.bitrateKbps).toBe(Math.round((mp4!.sizeBytes! * 8) / mp4!.durationSeconds! / 1000));
    expect(hls!.checksum).toBeNull();
    expect(hls!.bitrateKbps).toBeGreaterThan(0);
    for (const f of hls!.files!) expect(f.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);

    const whole = await get(mp4!.downloadPath!);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-disposition')).toContain(`${job.id}-mp4-360p.mp4`);
    const bytes = new Uint8Array(await whole.arrayBuffer());
    expect(bytes.length).toBe(mp4!.sizeBytes);
    expect(sha256(bytes)).toBe(mp4!.checksum);

    const ranged = await get(mp4!.downloadPath!, { range: 'bytes=100-199' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${mp4!.sizeBytes}`);
    expect(ranged.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(Buffer.from(bytes.subarray(100, 200)));
    const suffix = await get(mp4!.downloadPath!, { range: 'bytes=-10' });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(Buffer.from(bytes.subarray(bytes.length - 10)));
    const past = await get(mp4!.downloadPath!, { range: `bytes=${mp4!.sizeBytes}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${mp4!.sizeBytes}`);

    const master = await get(hls!.downloadPath!);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(await master.text()).toContain('v0/index.m3u8');
    // downloadPath names the master; the output's files sit beside it, and every URI of every playlist resolves to one.
    const hlsDir = hls!.downloadPath!.slice(0, hls!.downloadPath!.lastIndexOf('/'));
    const walk = await walkHlsPlaylists(`${stack.apiUrl}${hls!.downloadPath}`, (u) => get(new URL(u).pathname));
    expect(walk.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.url}`)).toEqual([]);
    expect(walk.map((e) => new URL(e.url).pathname).sort()).toEqual(
      hls!.files!.map((f) => `${hlsDir}/${f.path}`).sort(),
    );
    const segment = hls!.files!.find((f) => f.path.endsWith('.ts'))!;
    const segRes = await get(`${hlsDir}/${segment.path}`);
    expect(segRes.status).toBe(200);
    expect(segRes.headers.get('content-type')).toBe('video/mp2t');
    expect(sha256(new Uint8Array(await segRes.arrayBuffer()))).toBe(segment.checksum);
    for (const bad of ['/..%2f..%2fmp4-360p.mp4', '/nope.ts']) expect((await get(`${hlsDir}${bad}`)).status).toBe(404);
    expect((await get(`/v1/jobs/${job.id}/outputs/nope`)).status).toBe(404);

    // Deleting the job deletes its objects, and nothing of other jobs.
    const jobPrefix = `${PREFIX}${stack.customers[0]!.id}/${job.id}/`;
    expect((await keys(jobPrefix)).length).toBeGreaterThan(2);
    const deleted = await fetch(`${stack.apiUrl}/v1/jobs/${job.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.customers[0]!.key}` },
    });
    expect(deleted.status).toBe(204);
    expect(await keys(jobPrefix)).toEqual([]);
    expect((await get(mp4!.downloadPath!)).status).toBe(404);
  });

  it('keeps uploads in the bucket, and a worker encodes from one', async () => {
    const body = await readFile(clip);
    const res = await fetch(`${stack.apiUrl}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.customers[0]!.key}`, 'content-type': 'video/mp4' },
      body,
    });
    expect(res.status).toBe(201);
    const upload = (await res.json()) as { id: string; sizeBytes: number; input: string };
    expect(upload.sizeBytes).toBe(body.length);
    expect(await keys(`${PREFIX}uploads/`)).toEqual([`${PREFIX}uploads/acme/${upload.id}`]);

    const unknown = await api()('POST', '/v1/jobs', {
      input: 'upload://00000000-0000-4000-8000-000000000000',
      outputs: [{ preset: 'mp4-360p' }],
    });
    expect(unknown.status).toBe(400);

    const created = await api()<Job>('POST', '/v1/jobs', {
      input: upload.input,
      outputs: [{ preset: 'mp4-360p', name: 'from-upload' }],
    });
    expect(created.status).toBe(202);
    const job = await finish(created.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(await keys(`${PREFIX}acme/${job.id}/`)).toEqual([`${PREFIX}acme/${job.id}/from-upload.mp4`]);
    const out = await get(job.outputs[0]!.downloadPath!);
    expect(sha256(new Uint8Array(await out.arrayBuffer()))).toBe(job.outputs[0]!.checksum);
    expect(await localFiles()).toEqual([]);
  });

  it('never writes the S3 keys to a log', () => {
    // s3rver only accepts its own credentials, where the key id and the secret are both S3RVER.
    for (const [name, app] of Object.entries(stack.apps)) expect(app.logs(), name).not.toContain(s3.secretAccessKey);
    expect(stack.apps.worker0!.logs()).toContain('"storage":"s3"');
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { ApiClient } from './api.client.js';
import type { FetchFn, UploadFn, UploadReply } from './upload.transport.js';

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Blob;
}

function uploader(reply: UploadReply | Error, progress: [number, number][] = []): { fn: UploadFn; sent: Sent[] } {
  const sent: Sent[] = [];
  const fn: UploadFn = async (url, headers, body, onProgress) => {
    sent.push({ url, headers, body });
    for (const [a, b] of progress) onProgress?.(a, b);
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { fn, sent };
}

const noFetch = () => Promise.reject(new Error('no fetch expected'));

describe('ApiClient.upload', () => {
  it('posts the file as the body with the key and its type, reports progress, and returns the input', async () => {
    const body = { id: 'u1', sizeBytes: 4, input: 'upload://u1' };
    const { fn, sent } = uploader({ status: 201, statusText: 'Created', text: JSON.stringify(body) }, [
      [2, 4],
      [4, 4],
    ]);
    const api = new ApiClient({ baseUrl: 'http://api.test/', apiKey: 'k1', fetch: noFetch, upload: fn });
    const seen: [number, number][] = [];
    const file = new Blob(['abcd'], { type: 'video/mp4' });
    expect(await api.upload(file, (a, b) => seen.push([a, b]))).toEqual(body);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('http://api.test/v1/uploads');
    expect(sent[0]!.headers).toMatchObject({ Authorization: 'Bearer k1', 'Content-Type': 'video/mp4' });
    expect(sent[0]!.body).toBe(file);
    expect(seen).toEqual([
      [2, 4],
      [4, 4],
    ]);
  });

  it("turns a 413 into an ApiError with the API's message", async () => {
    const text = JSON.stringify({
      error: { code: 'body_too_large', message: 'the upload is larger than KILN_MAX_UPLOAD_BYTES (10 bytes)' },
    });
    const api = new ApiClient({
      baseUrl: 'http://api.test',
      apiKey: 'k1',
      fetch: noFetch,
      upload: uploader({ status: 413, statusText: 'Payload Too Large', text }).fn,
    });
    const err = await api.upload(new Blob(['x'.repeat(20)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 413,
      code: 'body_too_large',
      message: expect.stringContaining('KILN_MAX_UPLOAD_BYTES'),
    });
  });

  it('sends octet-stream for a file without a type, and reports a dropped connection as status 0', async () => {
    const { fn, sent } = uploader(new TypeError('network'));
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k1', fetch: noFetch, upload: fn });
    const err = await api.upload(new Blob(['x'])).catch((e: unknown) => e);
    expect(sent[0]!.headers['Content-Type']).toBe('application/octet-stream');
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    expect((err as ApiError).message).toMatch(/size limit/);
  });

  it('passes an abort through and refuses an unexpected 201 body', async () => {
    const aborted = new ApiClient({
      baseUrl: 'http://api.test',
      apiKey: 'k1',
      fetch: noFetch,
      upload: uploader(new DOMException('stop', 'AbortError')).fn,
    });
    await expect(aborted.upload(new Blob(['x']))).rejects.toMatchObject({ name: 'AbortError' });
    const odd = new ApiClient({
      baseUrl: 'http://api.test',
      apiKey: 'k1',
      fetch: noFetch,
      upload: uploader({ status: 201, statusText: 'Created', text: '{"id":"u1"}' }).fn,
    });
    await expect(odd.upload(new Blob(['x']))).rejects.toMatchObject({ status: 502 });
  });
});

describe('ApiClient.stats', () => {
  it('reads /v1/stats with the key and refuses a body that is not stats', async () => {
    const stats = {
      counts: { completed: 1 },
      jobsPerHour: [{ hour: '2025-01-01T00:00:00.000Z', count: 1 }],
      meanEncodeSpeed: 2,
      scannedJobs: 1,
      truncated: false,
    };
    const urls: string[] = [];
    let body: unknown = stats;
    const fetch: FetchFn = async (url, init) => {
      urls.push(`${url} ${new Headers(init?.headers).get('Authorization')}`);
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k1', fetch });
    expect(await api.stats()).toEqual(stats);
    expect(urls).toEqual(['http://api.test/v1/stats Bearer k1']);
    body = { counts: {} };
    await expect(api.stats()).rejects.toMatchObject({ status: 502 });
  });
});

describe('ApiClient.usage', () => {
  it('reads /v1/usage with the key and refuses a body that is not usage', async () => {
    const usage = {
      customerId: 'acme',
      running: { used: 1, limit: 2 },
      queued: { used: 0, limit: 1000 },
      storedBytes: { used: 123, limit: null },
    };
    const urls: string[] = [];
    let body: unknown = usage;
    const fetch: FetchFn = async (url, init) => {
      urls.push(`${url} ${new Headers(init?.headers).get('Authorization')}`);
      return new Response(JSON.stringify(body), { status: 200 });
    };
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k1', fetch });
    expect(await api.usage()).toEqual(usage);
    expect(urls).toEqual(['http://api.test/v1/usage Bearer k1']);
    body = { ...usage, storedBytes: { used: -1, limit: null } };
    await expect(api.usage()).rejects.toMatchObject({ status: 502 });
    body = { customerId: 'acme', running: { used: 0 } };
    await expect(api.usage()).rejects.toMatchObject({ status: 502 });
  });
});

describe('ApiClient.getJob', () => {
  const record = {
    id: 'j1',
    customerId: 'acme',
    status: 'completed',
    priority: 'normal',
    pool: 'cpu',
    input: 'file:///a.mp4',
    metadata: {},
    progress: { percent: 100, fps: null, speed: null, etaSeconds: 0 },
    outputs: [],
    error: null,
    attempts: 1,
    seq: 4,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
  };
  const answering = (body: unknown, seen: string[]) => async (url: string) => {
    seen.push(url);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };

  it('reads the full record of one job', async () => {
    const seen: string[] = [];
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k1', fetch: answering(record, seen) });
    expect(await api.getJob('j 1')).toEqual(record);
    expect(seen).toEqual(['http://api.test/v1/jobs/j%201']);
  });

  it('refuses a body that is only a summary (no input or metadata)', async () => {
    const { input: _input, metadata: _metadata, ...summary } = record;
    const api = new ApiClient({ baseUrl: 'http://api.test', apiKey: 'k1', fetch: answering(summary, []) });
    await expect(api.getJob('j1')).rejects.toMatchObject({ status: 502 });
  });
});

import { readFile } from 'node:fs/promises';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

interface Usage {
  customerId: string;
  running: { used: number; limit: number | null };
  queued: { used: number; limit: number | null };
  storedBytes: { used: number; limit: number | null };
}

describe('usage against limits with real workers: GET /v1/usage follows uploads and encoded outputs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      env: { KILN_LIMIT_STORED_BYTES: '20MB', KILN_LIMIT_QUEUED: '50', KILN_LIMIT_RUNNING: '3' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('counts an upload, then the outputs of the job encoded from it, and takes the outputs back on delete', async () => {
    const key = stack.customers[0]!.key;
    const api = apiClient(stack.apiUrl, key);
    const usage = async () => (await api<Usage>('GET', '/v1/usage')).body;
    expect(await usage()).toEqual({
      customerId: 'acme',
      running: { used: 0, limit: 3 },
      queued: { used: 0, limit: 50 },
      storedBytes: { used: 0, limit: 20 * 1024 * 1024 },
    });

    const clip = await readFile(await makeClip({ seconds: 1, width: 320, height: 240, audio: false }));
    const uploaded = await fetch(`${stack.apiUrl}/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'video/mp4' },
      body: clip,
    });
    expect(uploaded.status).toBe(201);
    const upload = (await uploaded.json()) as { input: string; sizeBytes: number };
    expect(upload.sizeBytes).toBe(clip.length);
    expect((await usage()).storedBytes.used).toBe(clip.length);

    const created = await api<Job>('POST', '/v1/jobs', {
      input: upload.input,
      outputs: [{ preset: 'mp4-360p' }, { preset: 'thumbnails' }],
    });
    expect(created.status).toBe(202);
    let job: Job | undefined;
    await waitFor(
      async () => (job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body).status === 'completed',
      { timeoutMs: 60_000, message: 'job to complete' },
    );
    const outputBytes = job!.outputs.reduce((n, o) => n + (o.sizeBytes ?? 0), 0);
    expect(job!.outputs.every((o) => o.status === 'completed' && (o.sizeBytes ?? 0) > 0)).toBe(true);
    expect(await usage()).toMatchObject({
      running: { used: 0 },
      queued: { used: 0 },
      storedBytes: { used: clip.length + outputBytes },
    });

    expect((await api('DELETE', `/v1/jobs/${job!.id}`)).status).toBe(204);
    expect((await usage()).storedBytes.used).toBe(clip.length);
  }, 120_000);
});

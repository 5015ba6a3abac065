import { readdir } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { resetOutputs, UsageRepository, type Job } from '@kiln/jobs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type ApiHarness, useApiHarness } from '../testing/api-harness.js';
import { postChunked } from '../testing/post-chunked.js';

const QUEUED = 'key-queued-0123456789abcdef';
const STORED = 'key-stored-0123456789abcdef';
const STORED_TWO = 'key-stored-second-0123456789';
const PLAIN = 'key-plain-0123456789abcdef';

/** Customers with their own limits: `queuey` may have 3 waiting jobs, `hoarder` store 1000 bytes. */
const ENV = {
  KILN_API_KEYS: `queuey:${QUEUED};queued=3,hoarder:${STORED};stored=1000,hoarder:${STORED_TWO},plain:${PLAIN}`,
  KILN_LIMIT_RUNNING: '4',
};

describe('customer limits: GET /v1/usage and the 429s of POST /v1/jobs and POST /v1/uploads', () => {
  let h: ApiHarness;
  let listening: http.Server;
  const harness = useApiHarness({}, ENV);
  beforeAll(async () => {
    h = harness();
    listening = h.app.listen(0, '127.0.0.1');
    await new Promise((r) => listening.once('listening', r));
  });
  afterAll(async () => {
    await new Promise((r) => listening?.close(r));
  });

  const body = (n = 0) => ({ input: `file://${h.inputRoot}/a-${n}.mp4`, outputs: [{ preset: 'mp4-360p' }] });
  const createJob = (key: string, n = 0) => request(h.app).post('/v1/jobs').set(bearer(key)).send(body(n));
  const usage = async (key: string) => {
    const res = await request(h.app).get('/v1/usage').set(bearer(key));
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown>;
  };
  const upload = (key: string, bytes: number) =>
    request(h.app).post('/v1/uploads').set(bearer(key)).set('content-type', 'video/mp4').send(Buffer.alloc(bytes, 7));
  const uploadsOf = (customer: string) =>
    readdir(path.join(h.storageDir, 'uploads', customer)).catch(() => [] as string[]);
  /** Marks a job completed with outputs of these sizes, as a worker's writes would. */
  async function complete(job: Job, sizes: number[]): Promise<void> {
    const outputs = resetOutputs(job.outputs).map((o, i) => ({
      ...o,
      status: 'completed' as const,
      sizeBytes: sizes[i]!,
    }));
    await h.repo.update(job.id, { status: 'encoding' });
    await h.repo.update(job.id, { outputs });
    await h.repo.update(job.id, { status: 'completed', finishedAt: new Date().toISOString() });
  }

  it('shows usage against the defaults and a customer’s own limits', async () => {
    expect(await usage(PLAIN)).toEqual({
      customerId: 'plain',
      running: { used: 0, limit: 4 },
      queued: { used: 0, limit: 1000 },
      storedBytes: { used: 0, limit: null },
    });
    expect(await usage(QUEUED)).toMatchObject({ queued: { used: 0, limit: 3 }, storedBytes: { limit: null } });
    expect(await usage(STORED_TWO)).toMatchObject({ customerId: 'hoarder', storedBytes: { used: 0, limit: 1000 } });
    expect((await request(h.app).get('/v1/usage')).status).toBe(401);
  });

  it('answers 429 queued_jobs_limit with Retry-After once the waiting jobs reach the limit, exactly under a burst', async () => {
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => createJob(QUEUED, i)));
    expect(burst.filter((r) => r.status === 202)).toHaveLength(3);
    const refused = burst.filter((r) => r.status !== 202);
    expect(refused).toHaveLength(5);
    for (const res of refused) {
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.body.error).toMatchObject({
        code: 'queued_jobs_limit',
        message: expect.stringContaining('queued=3'),
        limit: 'queued',
        usage: { queued: { used: 3, limit: 3 }, running: { used: 0 }, storedBytes: { used: 0, limit: null } },
      });
    }
    expect(await usage(QUEUED)).toMatchObject({ queued: { used: 3, limit: 3 } });
    expect((await request(h.app).get('/v1/jobs?limit=100').set(bearer(QUEUED))).body.data).toHaveLength(3);

    // A job that starts running leaves the waiting ones: room for one more.
    const started = burst.find((r) => r.status === 202)!.body as Job;
    await h.repo.update(started.id, { status: 'probing' });
    expect(await usage(QUEUED)).toMatchObject({ running: { used: 1 }, queued: { used: 2 } });
    expect((await createJob(QUEUED, 100)).status).toBe(202);
    expect((await createJob(QUEUED, 101)).status).toBe(429);
    // Other customers are not held back by it.
    expect((await createJob(PLAIN)).status).toBe(202);
  });

  it('replays an Idempotency-Key at the queued limit instead of refusing it, and gives back a refused key', async () => {
    const send = (key: string, n: number) =>
      request(h.app).post('/v1/jobs').set(bearer(QUEUED)).set('Idempotency-Key', key).send(body(n));
    const waiting = (await request(h.app).get('/v1/jobs?status=queued').set(bearer(QUEUED))).body.data as Job[];
    await h.repo.update(waiting[0]!.id, { status: 'cancelled', finishedAt: new Date().toISOString() });
    const first = await send('replay-1', 200);
    expect(first.status).toBe(202);
    expect(await usage(QUEUED)).toMatchObject({ queued: { used: 3, limit: 3 } });
    const replay = await send('replay-1', 200);
    expect(replay.status).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(first.body.id);
    // A request refused at the limit created nothing: its key is free for the retry that fits.
    const refused = await send('replay-2', 201);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('queued_jobs_limit');
    await h.repo.update(first.body.id as string, { status: 'cancelled', finishedAt: new Date().toISOString() });
    const later = await send('replay-2', 201);
    expect(later.status).toBe(202);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  it('counts uploads and refuses one that does not fit with 429 stored_bytes_limit, declared or streamed', async () => {
    const first = await upload(STORED, 600);
    expect(first.status).toBe(201);
    expect(await usage(STORED_TWO)).toMatchObject({ storedBytes: { used: 600, limit: 1000 } });

    // Declared too large: refused before the body is read, nothing stored, no Retry-After.
    const declared = await upload(STORED_TWO, 401);
    expect(declared.status).toBe(429);
    expect(declared.headers['retry-after']).toBeUndefined();
    expect(declared.body.error).toMatchObject({
      code: 'stored_bytes_limit',
      message: expect.stringMatching(/stored=1000.*delete/),
      limit: 'storedBytes',
      usage: { storedBytes: { used: 600, limit: 1000 } },
    });
    // Streamed without a size: stopped once past the room left, the partial file removed.
    const streamed = await postChunked(listening, [Buffer.alloc(300, 1), Buffer.alloc(300, 2)], STORED);
    expect(streamed.status).toBe(429);
    expect(streamed.headers['retry-after']).toBeUndefined();
    expect(streamed.body.error?.code).toBe('stored_bytes_limit');
    expect(await uploadsOf('hoarder')).toEqual([first.body.id]);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 600 } });

    // Exactly up to the limit fits; then nothing more does, and no job either.
    expect((await postChunked(listening, [Buffer.alloc(400, 3)], STORED)).status).toBe(201);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 1000, limit: 1000 } });
    expect((await upload(STORED, 1)).body.error.code).toBe('stored_bytes_limit');
    const job = await createJob(STORED);
    expect(job.status).toBe(429);
    expect(job.headers['retry-after']).toBeUndefined();
    expect(job.body.error).toMatchObject({ code: 'stored_bytes_limit', limit: 'storedBytes' });
    expect((await uploadsOf('hoarder')).length).toBe(2);

    // Expired uploads stop counting.
    await new UsageRepository(h.redis, h.prefix).expireUploads(Date.now() + 1);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 0, limit: 1000 } });
  });

  it('refuses parallel uploads past the limit, each one that does not fit removed again', async () => {
    const before = await uploadsOf('hoarder');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => postChunked(listening, [Buffer.alloc(300, 4)], STORED)),
    );
    const stored = results.filter((r) => r.status === 201);
    expect(stored).toHaveLength(3);
    expect(results.filter((r) => r.body.error?.code === 'stored_bytes_limit')).toHaveLength(3);
    expect((await uploadsOf('hoarder')).length).toBe(before.length + 3);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 900 } });
    await new UsageRepository(h.redis, h.prefix).expireUploads(Date.now() + 1);
  });

  it('counts a job’s outputs once completed and stops counting them when the job is deleted', async () => {
    const res = await createJob(STORED, 1);
    expect(res.status).toBe(202);
    const job = res.body as Job;
    await complete(job, [1200]);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 1200, limit: 1000 } });
    const refused = await createJob(STORED, 2);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({
      code: 'stored_bytes_limit',
      message: expect.stringContaining('DELETE /v1/jobs/:id'),
      usage: { storedBytes: { used: 1200, limit: 1000 } },
    });
    expect((await request(h.app).delete(`/v1/jobs/${job.id}`).set(bearer(STORED))).status).toBe(204);
    expect(await usage(STORED)).toMatchObject({ storedBytes: { used: 0 } });
    expect((await createJob(STORED, 3)).status).toBe(202);
  });

  it('stops counting outputs when a job is retried', async () => {
    const job = (await createJob(PLAIN, 5)).body as Job;
    await complete(job, [500]);
    await h.repo.update(job.id, { status: 'failed' }, ['completed']);
    expect(await usage(PLAIN)).toMatchObject({ storedBytes: { used: 500, limit: null } });
    const retried = await request(h.app).post(`/v1/jobs/${job.id}/retry`).set(bearer(PLAIN));
    expect(retried.status).toBe(202);
    expect(await usage(PLAIN)).toMatchObject({ storedBytes: { used: 0 } });
  });
});

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearer, KEY_B, useApiHarness } from '../testing/api-harness.js';

describe('DELETE /v1/jobs/:id', () => {
  const harness = useApiHarness();

  /** A job created through the API, then finished the way a worker would leave it, with an output file. */
  async function finishedJob(status: 'completed' | 'failed' | 'cancelled' = 'completed'): Promise<string> {
    const created = await request(harness().app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs: [{ preset: 'mp4-360p' }] });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const dir = path.join(harness().storageDir, 'acme', id);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'mp4-360p.mp4'), 'not really a video');
    const res = await harness().repo.update(id, { status, finishedAt: new Date().toISOString() });
    expect(res.ok).toBe(true);
    // The BullMQ entry a worker's run leaves behind (kept a day after it ends).
    await harness().queue.add('encode', { jobId: id, customerId: 'acme' }, { jobId: id });
    return id;
  }

  it('removes a finished job, its outputs and its queue entry; it is then gone from reads and lists', async () => {
    const id = await finishedJob();
    expect(await harness().queue.getJob(id)).toBeTruthy();
    const res = await request(harness().app).delete(`/v1/jobs/${id}`).set(bearer());
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await request(harness().app).get(`/v1/jobs/${id}`).set(bearer())).status).toBe(404);
    expect(
      (await request(harness().app).get('/v1/jobs?limit=100').set(bearer())).body.data.map((j: { id: string }) => j.id),
    ).not.toContain(id);
    expect((await request(harness().app).get(`/v1/jobs/${id}/outputs/mp4-360p`).set(bearer())).status).toBe(404);
    expect(await readdir(path.join(harness().storageDir, 'acme'))).not.toContain(id);
    expect(await harness().queue.getJob(id)).toBeUndefined();
    // Deleting again: there is nothing to delete.
    expect((await request(harness().app).delete(`/v1/jobs/${id}`).set(bearer())).status).toBe(404);
  });

  it('refuses a job that is still queued or running (409), and another customer gets a 404 and deletes nothing', async () => {
    const queued = await request(harness().app)
      .post('/v1/jobs')
      .set(bearer())
      .send({ input: `file://${harness().inputRoot}/a.mp4`, outputs: [{ preset: 'mp4-360p' }] });
    const conflict = await request(harness().app).delete(`/v1/jobs/${queued.body.id}`).set(bearer());
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toMatch(/job is queued; cancel it before deleting it/);

    const id = await finishedJob('failed');
    const foreign = await request(harness().app).delete(`/v1/jobs/${id}`).set(bearer(KEY_B));
    expect(foreign.status).toBe(404);
    expect((await request(harness().app).get(`/v1/jobs/${id}`).set(bearer())).status).toBe(200);
    expect(await readdir(path.join(harness().storageDir, 'acme', id))).toEqual(['mp4-360p.mp4']);
  });
});

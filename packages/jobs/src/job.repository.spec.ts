import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { JobRepository, resetOutputs } from './job.repository.js';
import { InvalidCursorError } from './jobs.errors.js';

describe('JobRepository', () => {
  const db = useRedis();
  const fresh = () => new JobRepository(db.redis, `test-${randomUUID()}`);
  const newJob = (repo: JobRepository, customerId = 'acme') =>
    repo.create({
      customerId,
      input: 'file:///in/a.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'mp4-720p', name: 'hd' }],
      metadata: { title: 'Ünïcode "quoted"' },
    });

  it('creates a queued job at seq 1 with pending outputs and reads it back unchanged', async () => {
    const repo = fresh();
    const job = await newJob(repo);
    expect(job).toMatchObject({ status: 'queued', seq: 1, attempts: 0, error: null, startedAt: null });
    expect(job.outputs.map((o) => [o.name, o.status, o.contentType])).toEqual([
      ['mp4-360p', 'pending', 'video/mp4'],
      ['hd', 'pending', 'video/mp4'],
    ]);
    expect(await repo.get(job.id)).toEqual(job);
  });

  it("derives a completed output's downloadPath on every read and never stores one", async () => {
    const prefix = `test-${randomUUID()}`;
    const repo = new JobRepository(db.redis, prefix);
    const job = await newJob(repo);
    const [first, second] = job.outputs;
    const written = [
      { ...first!, status: 'completed' as const, sizeBytes: 10, downloadPath: 'https://elsewhere.example/x' },
      { ...second!, status: 'encoding' as const },
    ];
    const res = await repo.update(job.id, { outputs: written });
    expect(res.ok && res.job.outputs.map((o) => o.downloadPath)).toEqual([`/v1/jobs/${job.id}/outputs/mp4-360p`, null]);
    expect((await repo.get(job.id))!.outputs.map((o) => o.downloadPath)).toEqual([
      `/v1/jobs/${job.id}/outputs/mp4-360p`,
      null,
    ]);
    const raw = JSON.parse((await db.redis.hget(`${prefix}:job:${job.id}`, 'outputs'))!) as object[];
    expect(raw.map((o) => 'downloadPath' in o)).toEqual([false, false]);
  });

  it("stores the input's probe as written and reads a record from before it as not probed", async () => {
    const prefix = `test-${randomUUID()}`;
    const repo = new JobRepository(db.redis, prefix);
    const job = await newJob(repo);
    const inputProbe = {
      durationSeconds: 2,
      sizeBytes: 50_000,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      video: { codec: 'h264', width: 320, height: 240, fps: 25, pixelFormat: 'yuv420p', bitrateKbps: 150 },
      audio: null,
    };
    const res = await repo.update(job.id, { status: 'encoding', inputProbe });
    expect(res.ok && res.job.inputProbe).toEqual(inputProbe);
    expect((await repo.get(job.id))!.inputProbe).toEqual(inputProbe);
    await db.redis.hdel(`${prefix}:job:${job.id}`, 'inputProbe');
    expect((await repo.get(job.id))!.inputProbe).toBeNull();
  });

  it('bumps seq on every update and returns the stored job', async () => {
    const repo = fresh();
    const job = await newJob(repo);
    const a = await repo.update(job.id, { status: 'probing', attempts: 1 });
    const b = await repo.update(job.id, { progress: { percent: 50, fps: 30, speed: 2, etaSeconds: 1 } });
    expect(a.ok && a.job.seq).toBe(2);
    expect(b.ok && b.job).toMatchObject({ seq: 3, status: 'probing', progress: { percent: 50 } });
  });

  it('refuses an update from a status not allowed, without changing seq', async () => {
    const repo = fresh();
    const job = await newJob(repo);
    await repo.update(job.id, { status: 'cancelled' });
    const res = await repo.update(job.id, { status: 'encoding' }, ['queued', 'probing']);
    expect(res).toEqual({ ok: false, reason: 'status', current: 'cancelled' });
    expect((await repo.get(job.id))!.seq).toBe(2);
    expect(await repo.update('missing', { status: 'failed' })).toEqual({ ok: false, reason: 'not_found' });
  });

  it('gives every one of many concurrent updates its own seq', async () => {
    const repo = fresh();
    const job = await newJob(repo);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        repo.update(job.id, { progress: { percent: i, fps: null, speed: null, etaSeconds: null } }),
      ),
    );
    const seqs = results.map((r) => (r.ok ? r.job.seq : -1)).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it("hides other customers' jobs", async () => {
    const repo = fresh();
    const job = await newJob(repo, 'acme');
    expect(await repo.getForCustomer('globex', job.id)).toBeNull();
    expect(await repo.getForCustomer('acme', job.id)).not.toBeNull();
  });

  it('names the owner of a job with ownerOf, and null for an unknown one', async () => {
    const repo = fresh();
    const job = await newJob(repo, 'acme');
    expect(await repo.ownerOf(job.id)).toBe('acme');
    expect(await repo.ownerOf('job_unknown')).toBeNull();
  });

  it('lists newest first with cursor pages and a status filter', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const repo = new JobRepository(db.redis, `test-${randomUUID()}`, () => new Date((t += 1000)));
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await newJob(repo)).id);
    await newJob(repo, 'globex');
    await repo.update(ids[1]!, { status: 'failed' });
    await repo.update(ids[4]!, { status: 'failed' });
    const p1 = await repo.list('acme', { limit: 3 });
    expect(p1.data.map((j) => j.id)).toEqual([ids[6], ids[5], ids[4]]);
    const p2 = await repo.list('acme', { limit: 3, cursor: p1.nextCursor! });
    const p3 = await repo.list('acme', { limit: 3, cursor: p2.nextCursor! });
    expect([...p2.data, ...p3.data].map((j) => j.id)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(p3.nextCursor).toBeNull();
    expect((await repo.list('acme', { limit: 10, status: 'failed' })).data.map((j) => j.id)).toEqual([ids[4], ids[1]]);
    await expect(repo.list('acme', { limit: 3, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe('resetOutputs', () => {
  it('keeps names and presets and clears everything an earlier run recorded, files included', () => {
    const done = {
      name: 'stream',
      preset: 'hls',
      status: 'completed' as const,
      contentType: 'application/vnd.apple.mpegurl',
      sizeBytes: 1234,
      durationSeconds: 2,
      width: 1280,
      height: 720,
      bitrateKbps: 4936,
      checksum: null,
      downloadPath: '/v1/jobs/x/outputs/stream',
      files: [{ path: 'master.m3u8', sizeBytes: 200, checksum: 'sha256:00' }],
    };
    expect(resetOutputs([done])).toEqual([
      {
        name: 'stream',
        preset: 'hls',
        status: 'pending',
        contentType: 'application/vnd.apple.mpegurl',
        sizeBytes: null,
        durationSeconds: null,
        width: null,
        height: null,
        bitrateKbps: null,
        checksum: null,
        downloadPath: null,
      },
    ]);
  });
});

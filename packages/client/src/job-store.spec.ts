import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobStore } from './job-store.js';
import type { Job, JobStatus, JobSummary } from './job.schema.js';

/** What a `job.*` event carries for `job`: no input, metadata or output files. */
function summaryOf(job: Job): JobSummary {
  const { input: _input, metadata: _metadata, outputs, ...rest } = job;
  return {
    ...rest,
    outputs: outputs.map(({ files, ...o }) => ({ ...o, ...(files ? { fileCount: files.length } : {}) })),
  };
}

const STATUSES: JobStatus[] = ['queued', 'probing', 'encoding', 'storing', 'completed', 'failed', 'cancelled'];

function job(id: string, seq: number, createdAt = '2025-01-01T00:00:00.000Z'): Job {
  return {
    id,
    customerId: 'acme',
    status: STATUSES[seq % STATUSES.length]!,
    priority: 'normal',
    pool: 'cpu',
    input: 'https://example.com/in.mp4',
    metadata: {},
    progress: { percent: Math.min(100, seq), fps: null, speed: null, etaSeconds: null },
    outputs: [],
    error: null,
    attempts: 1,
    seq,
    createdAt,
    updatedAt: createdAt,
    startedAt: null,
    finishedAt: null,
  };
}

describe('JobStore', () => {
  it('keeps a newer version and ignores older and equal ones', () => {
    const store = new JobStore();
    expect(store.apply(job('a', 3))).toBe('inserted');
    expect(store.apply(job('a', 2))).toBe('stale');
    expect(store.apply(job('a', 3))).toBe('duplicate');
    expect(store.get('a')?.seq).toBe(3);
    expect(store.apply(job('a', 7))).toBe('updated');
    expect(store.get('a')?.seq).toBe(7);
    expect(store.get('a')?.status).toBe(STATUSES[0]);
  });

  it('lets a late snapshot page not undo a newer event', () => {
    const store = new JobStore();
    store.apply(job('a', 5));
    const changed = store.applyMany([job('a', 4), job('b', 1)]);
    expect(changed).toEqual(['b']);
    expect(store.get('a')?.seq).toBe(5);
    expect(store.size).toBe(2);
  });

  it('never lets a summary replace the full record of its seq, nor an older record a newer summary', () => {
    const store = new JobStore();
    const full: Job = {
      ...job('a', 5),
      outputs: [
        {
          name: 'hls',
          preset: 'hls',
          status: 'completed',
          contentType: 'application/vnd.apple.mpegurl',
          sizeBytes: 9,
          durationSeconds: 4,
          width: 64,
          height: 36,
          downloadPath: '/v1/jobs/a/outputs/hls/master.m3u8',
          files: [{ path: 'master.m3u8', sizeBytes: 9 }],
        },
      ],
    };
    const summary = summaryOf(full);
    expect(store.apply(full)).toBe('inserted');
    expect(store.apply(summary)).toBe('duplicate');
    expect(store.get('a')).toBe(full);
    // The other order: the event first, then the snapshot of the same change with its details.
    const other = new JobStore();
    expect(other.apply(summary)).toBe('inserted');
    expect(other.apply(full)).toBe('updated');
    expect(other.get('a')).toBe(full);
    expect(other.newestFirst()).toEqual([full]);
    // A newer summary wins over an older record; that record read late does not come back.
    const newer = summaryOf({ ...full, seq: 6 });
    expect(other.apply(newer)).toBe('updated');
    expect(other.apply(full)).toBe('stale');
    expect(other.get('a')).toBe(newer);
  });

  it('lists jobs newest first and reflects updates in that list', () => {
    const store = new JobStore();
    store.apply(job('old', 1, '2025-01-01T00:00:00.000Z'));
    store.apply(job('new', 1, '2025-01-02T00:00:00.000Z'));
    store.apply(job('mid', 1, '2025-01-01T12:00:00.000Z'));
    expect(store.newestFirst().map((j) => j.id)).toEqual(['new', 'mid', 'old']);
    store.apply(job('mid', 2, '2025-01-01T12:00:00.000Z'));
    expect(store.newestFirst().map((j) => `${j.id}@${j.seq}`)).toEqual(['new@1', 'mid@2', 'old@1']);
  });

  it('forgets a deleted job, also in the newest-first list it had already built', () => {
    const store = new JobStore();
    store.applyMany([job('a', 1, '2025-01-01T00:00:00.000Z'), job('b', 1, '2025-01-02T00:00:00.000Z')]);
    expect(store.newestFirst().map((j) => j.id)).toEqual(['b', 'a']);
    expect(store.remove('b')).toBe(true);
    expect(store.remove('b')).toBe(false);
    expect(store.newestFirst().map((j) => j.id)).toEqual(['a']);
    expect(store.get('b')).toBeUndefined();
  });

  it('forgets everything on clear', () => {
    const store = new JobStore();
    store.apply(job('a', 1));
    store.clear();
    expect(store.size).toBe(0);
    expect(store.newestFirst()).toEqual([]);
  });

  it('ends with the highest seq per job for any interleaving and duplication of versions', () => {
    // Per job id, a set of distinct seqs; the delivery is any sequence of those versions, with
    // repeats and in any order (events, re-sent events and snapshot pages all look like this).
    const history = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 4 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
      { minKeys: 1, maxKeys: 10 },
    );
    const scenario = history.chain((h) => {
      const versions = Object.entries(h).flatMap(([id, seqs]) => seqs.map((seq) => job(id, seq)));
      return fc.tuple(
        fc.constant(versions),
        fc.array(fc.nat({ max: versions.length - 1 }), { minLength: 1, maxLength: 60 }),
      );
    });
    fc.assert(
      fc.property(scenario, ([versions, picks]) => {
        const delivered = picks.map((i) => versions[i]!);
        const store = new JobStore();
        for (const v of delivered) store.apply(v);

        const expected = new Map<string, number>();
        for (const v of delivered) expected.set(v.id, Math.max(expected.get(v.id) ?? 0, v.seq));
        expect(store.size).toBe(expected.size);
        for (const [id, seq] of expected) {
          const stored = store.get(id);
          expect(stored?.seq).toBe(seq);
          expect(stored?.progress.percent).toBe(Math.min(100, seq));
        }
        expect(new Set(store.newestFirst().map((j) => j.id))).toEqual(new Set(expected.keys()));
      }),
    );
  });

  it('reaches the same state whether versions arrive one by one or in snapshot batches', () => {
    const versions = fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), seq: fc.integer({ min: 1, max: 50 }) }), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(versions, fc.integer({ min: 1, max: 10 }), (vs, pageSize) => {
        const jobs = vs.map((v) => job(v.id, v.seq));
        const one = new JobStore();
        for (const j of jobs) one.apply(j);
        const paged = new JobStore();
        for (let i = jobs.length - 1; i >= 0; i -= pageSize)
          paged.applyMany(jobs.slice(Math.max(0, i - pageSize + 1), i + 1));
        expect(paged.newestFirst().map((j) => [j.id, j.seq])).toEqual(one.newestFirst().map((j) => [j.id, j.seq]));
      }),
    );
  });
});

/** A job as the CLI's fake API answers it, with `overrides`. */
function version(overrides: Partial<Job>): Job {
  return { ...job('job_1', 1), status: 'queued', ...overrides };
}

describe('JobStore, as the CLI follows a job', () => {
  it('keeps a higher seq, and ignores an equal or lower one', () => {
    const v = new JobStore();
    expect(v.apply(version({ seq: 3, status: 'encoding' }))).toBe('inserted');
    expect(v.apply(version({ seq: 5, status: 'storing' }))).toBe('updated');
    expect(v.apply(version({ seq: 4, status: 'encoding' }))).toBe('stale');
    expect(v.apply(version({ seq: 5, status: 'storing' }))).toBe('duplicate');
    expect(v.get('job_1')).toMatchObject({ seq: 5, status: 'storing' });
  });

  it('keeps jobs apart by id', () => {
    const v = new JobStore();
    v.apply(version({ id: 'a', seq: 9 }));
    v.apply(version({ id: 'b', seq: 1 }));
    expect(v.get('a')?.seq).toBe(9);
    expect(v.get('b')?.seq).toBe(1);
    expect(v.get('c')).toBeUndefined();
  });

  it('ends at the highest seq of each job whatever the order and duplication of deliveries', () => {
    const delivery = fc.record({ id: fc.constantFrom('a', 'b', 'c'), seq: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(fc.array(delivery, { minLength: 1, maxLength: 60 }), (deliveries) => {
        const v = new JobStore();
        for (const d of deliveries)
          v.apply(version({ id: d.id, seq: d.seq, status: d.seq % 2 === 0 ? 'encoding' : 'probing' }));
        for (const id of ['a', 'b', 'c']) {
          const seqs = deliveries.filter((d) => d.id === id).map((d) => d.seq);
          expect(v.get(id)?.seq).toBe(seqs.length > 0 ? Math.max(...seqs) : undefined);
        }
      }),
    );
  });
});

describe('JobStore, places in line', () => {
  const queued = (id: string, seq: number, queue?: Job['queue']): Job => ({
    ...job(id, seq),
    status: 'queued',
    ...(queue ? { queue } : {}),
  });
  const place = (position: number, etaSeconds: number | null = null) => ({
    position,
    etaSeconds,
    pool: 'cpu',
    reason: null,
  });
  const event = (at: string, ...jobs: [string, number][]) => ({
    at,
    jobs: jobs.map(([id, position]) => ({ id, ...place(position) })),
  });

  it('takes the place from a read, and a re-read of the same seq moves it', () => {
    const store = new JobStore();
    expect(store.applyMany([queued('a', 1, place(3, 120))])).toEqual(['a']);
    expect(store.placeOf('a')).toEqual(place(3, 120));
    // Same seq, new place: not a new version, but the row must be redrawn.
    expect(store.applyJob(queued('a', 1, place(2, 60)))).toEqual({ outcome: 'duplicate', placeChanged: true });
    expect(store.applyMany([queued('a', 1, place(2, 60))])).toEqual([]);
    expect(store.placeOf('a')).toEqual(place(2, 60));
  });

  it('keeps the place across an event summary of the still queued job, and drops it once the job moves on', () => {
    const store = new JobStore();
    store.apply(queued('a', 1, place(2)));
    const { input: _i, metadata: _m, queue: _q, ...summary } = queued('a', 2);
    expect(store.applyJob(summary)).toEqual({ outcome: 'updated', placeChanged: false });
    expect(store.placeOf('a')).toEqual(place(2));
    expect(store.applyJob({ ...summary, seq: 3, status: 'probing' })).toEqual({
      outcome: 'updated',
      placeChanged: true,
    });
    expect(store.placeOf('a')).toBeUndefined();
    // A late queue event that still lists it, or a stale read, cannot bring the place back.
    expect(store.applyQueue(event('2026-01-01T00:00:01.000Z', ['a', 1]))).toEqual([]);
    expect(store.applyJob(queued('a', 1, place(1)))).toEqual({ outcome: 'stale', placeChanged: false });
    expect(store.placeOf('a')).toBeUndefined();
  });

  it('moves places live from queue.updated and reports only the queued jobs that changed', () => {
    const store = new JobStore();
    store.applyMany([queued('a', 1, place(1)), queued('b', 1, place(2)), queued('c', 1, place(3))]);
    expect(store.applyQueue(event('2026-01-01T00:00:01.000Z', ['a', 1], ['b', 1], ['c', 2]))).toEqual(['b', 'c']);
    expect([store.placeOf('a'), store.placeOf('b'), store.placeOf('c')].map((p) => p?.position)).toEqual([1, 1, 2]);
    // Not listed: keeps the place of its last read or event.
    expect(store.applyQueue(event('2026-01-01T00:00:02.000Z', ['b', 1]))).toEqual([]);
    expect(store.placeOf('c')?.position).toBe(2);
  });

  it('ignores a queue event older than one already taken', () => {
    const store = new JobStore();
    store.apply(queued('a', 1, place(3)));
    expect(store.applyQueue(event('2026-01-01T00:00:05.000Z', ['a', 2]))).toEqual(['a']);
    expect(store.applyQueue(event('2026-01-01T00:00:04.000Z', ['a', 3]))).toEqual([]);
    expect(store.placeOf('a')?.position).toBe(2);
  });

  it('keeps the place of a job it does not know yet for when the job arrives, until a later event stops listing it', () => {
    const store = new JobStore();
    expect(store.applyQueue(event('2026-01-01T00:00:01.000Z', ['x', 4]))).toEqual([]);
    expect(store.placeOf('x')).toBeUndefined();
    const { input: _i, metadata: _m, queue: _q, ...summary } = queued('x', 1);
    store.apply(summary);
    expect(store.placeOf('x')?.position).toBe(4);
    store.applyQueue(event('2026-01-01T00:00:02.000Z', ['y', 1]));
    expect(store.applyQueue(event('2026-01-01T00:00:03.000Z'))).toEqual([]);
    store.apply({ ...summary, id: 'y' });
    expect(store.placeOf('y')).toBeUndefined();
    expect(store.placeOf('x')?.position).toBe(4);
  });

  it('forgets places with the job and on clear', () => {
    const store = new JobStore();
    store.apply(queued('a', 1, place(1)));
    store.remove('a');
    store.apply(queued('a', 1));
    expect(store.placeOf('a')).toBeUndefined();
    store.apply(queued('b', 1, place(1)));
    store.clear();
    store.apply(queued('b', 1));
    expect(store.placeOf('b')).toBeUndefined();
  });
});

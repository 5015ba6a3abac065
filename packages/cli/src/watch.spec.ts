import { describe, expect, it } from 'vitest';
import type { Job, JobSummary } from '@kiln/client';
import { ApiError } from '@kiln/client';
import { job } from './fake-api.test-helper.js';
import { JobWatcher } from './watch.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const event = (j: Job) => ({ id: j.id, seq: j.seq, status: j.status, job: j });

/** A watcher whose `GET /v1/jobs/:id` answers from a list the test controls. */
function setup(answers: (Job | Error)[] = [], opts: { fallbackPollMs?: number; safetyPollMs?: number } = {}) {
  const seen: JobSummary[] = [];
  const places: string[] = [];
  let reads = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let current: Job | Error | undefined;
  const watcher = new JobWatcher({
    getJob: async () => {
      reads++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await tick(5);
      inFlight--;
      current = answers.length > 0 ? answers.shift() : current;
      if (current === undefined) throw new ApiError(0, 'no answer');
      if (current instanceof Error) throw current;
      return current;
    },
    onChange: (j) => seen.push(j),
    onPlace: (p, j) => places.push(`${j.id}@${p.position}`),
    ...opts,
  });
  return { watcher, seen, places, reads: () => reads, maxInFlight: () => maxInFlight };
}

describe('JobWatcher', () => {
  it('keeps events that arrive before the job id is known and starts from the newest', async () => {
    const { watcher, seen } = setup([job({ seq: 2, status: 'probing' })]);
    watcher.onJobEvent('job.progress', event(job({ seq: 3, status: 'encoding' })));
    watcher.onJobEvent('job.created', event(job({ seq: 1 })));
    void watcher.follow('job_1', job({ seq: 1 }));
    await tick(20);
    expect(seen.map((j) => j.seq)).toEqual([3]);
    watcher.stop();
  });

  it('never moves a job backwards: a slow read answered after newer events is ignored', async () => {
    const { watcher, seen } = setup([job({ seq: 2, status: 'probing' })]);
    const done = watcher.follow('job_1', job({ seq: 1 }));
    // The read above is in flight; these events overtake it.
    watcher.onJobEvent(
      'job.progress',
      event(job({ seq: 4, status: 'encoding', progress: { percent: 50, fps: 30, speed: 1, etaSeconds: 1 } })),
    );
    await tick(20);
    watcher.onJobEvent('job.progress', event(job({ seq: 4, status: 'encoding' })));
    watcher.onJobEvent('job.progress', event(job({ seq: 3, status: 'encoding' })));
    watcher.onJobEvent('job.completed', event(job({ seq: 6, status: 'completed' })));
    watcher.onJobEvent('job.progress', event(job({ seq: 5, status: 'storing' })));
    const final = await done;
    expect(final).toMatchObject({ seq: 6, status: 'completed' });
    expect(seen.map((j) => j.seq)).toEqual([1, 4, 6]);
    // The event after the terminal one arrives once the watcher has stopped: not counted.
    expect(watcher.eventCounts('job_1')).toEqual({ 'job.progress': 3, 'job.completed': 1 });
    expect(watcher.eventTotal('job_1')).toBe(4);
  });

  it('resolves with the full record when the terminal event carries only the summary', async () => {
    const full = job({
      seq: 5,
      status: 'completed',
      metadata: { title: 't' },
      outputs: [
        {
          name: 'thumbnails',
          preset: 'thumbnails',
          status: 'completed',
          contentType: 'image/jpeg',
          sizeBytes: 30,
          durationSeconds: null,
          width: 64,
          height: 36,
          downloadPath: '/v1/jobs/job_1/outputs/thumbnails/thumb-01.jpg',
          files: [{ path: 'thumb-01.jpg', sizeBytes: 30 }],
        },
      ],
    });
    const {
      input: _input,
      metadata: _metadata,
      ...summary
    } = { ...full, outputs: full.outputs.map(({ files: _files, ...o }) => ({ ...o, fileCount: 1 })) };
    // The first read answers the queued job; the one the terminal summary triggers, the record.
    const { watcher, seen, reads } = setup([job({ seq: 1 }), full], { fallbackPollMs: 60_000, safetyPollMs: 60_000 });
    const done = watcher.follow('job_1', job({ seq: 1 }));
    await tick(30);
    const before = reads();
    watcher.onJobEvent('job.completed', { id: 'job_1', seq: 5, status: 'completed', job: summary });
    const final = await done;
    expect(final).toEqual(full);
    expect(reads()).toBeGreaterThan(before);
    expect(seen.at(-1)).toEqual(full);
    // An older full record read late cannot replace the newer summary either.
    expect(watcher.latest('job_1')?.seq).toBe(5);
  });

  it('reports the place in line from the read and from queue.updated, only while the job is queued', async () => {
    const queue = (position: number) => ({ position, etaSeconds: null, pool: 'cpu', reason: null });
    const places = (at: string, ...list: [string, number][]) => ({
      at,
      jobs: list.map(([id, position]) => ({ id, ...queue(position) })),
    });
    const { watcher, places: told } = setup([job({ seq: 1, queue: queue(3) })], {
      fallbackPollMs: 60_000,
      safetyPollMs: 60_000,
    });
    const done = watcher.follow('job_1', job({ seq: 1 }));
    await tick(20);
    watcher.onQueueEvent(places('2026-01-01T00:00:01.000Z', ['job_1', 2], ['other', 1]));
    watcher.onQueueEvent({ at: 'soon', jobs: 'none' });
    watcher.onQueueEvent(places('2026-01-01T00:00:02.000Z', ['job_1', 2]));
    watcher.onQueueEvent(places('2026-01-01T00:00:03.000Z', ['job_1', 1]));
    expect(watcher.placeOf('job_1')?.position).toBe(1);
    watcher.onJobEvent('job.progress', event(job({ seq: 2, status: 'encoding' })));
    // Sent before the job started, delivered after: no place for a job that left the line.
    watcher.onQueueEvent(places('2026-01-01T00:00:04.000Z', ['job_1', 1]));
    expect(told).toEqual(['job_1@3', 'job_1@2', 'job_1@1']);
    expect(watcher.placeOf('job_1')).toBeUndefined();
    watcher.onJobEvent('job.completed', event(job({ seq: 3, status: 'completed' })));
    watcher.stop();
    void done.catch(() => undefined);
  });

  it('ignores events of other jobs and payloads that are not jobs', async () => {
    const { watcher, seen } = setup([job({ seq: 1 })]);
    void watcher.follow('job_1');
    await tick(20);
    watcher.onJobEvent('job.completed', event(job({ id: 'other', seq: 9, status: 'completed' })));
    watcher.onJobEvent('job.completed', { id: 'job_1', seq: 10, status: 'completed', job: { id: 'job_1' } });
    watcher.onJobEvent('job.completed', null);
    expect(seen.map((j) => [j.id, j.seq])).toEqual([['job_1', 1]]);
    expect(watcher.eventTotal('job_1')).toBe(0);
    watcher.stop();
  });

  it('re-reads the job on sync, on subscription and on reconnect, one read at a time', async () => {
    const { watcher, seen, reads, maxInFlight } = setup([
      job({ seq: 1 }),
      job({ seq: 2, status: 'encoding' }),
      job({ seq: 3, status: 'storing' }),
      job({ seq: 4, status: 'completed' }),
    ]);
    const done = watcher.follow('job_1');
    await tick(20);
    expect(reads()).toBe(1);
    watcher.onSync();
    await tick(20);
    expect(reads()).toBe(2);
    watcher.onSubscribed();
    // Requests during a read cost exactly one more read after it.
    watcher.onReconnected();
    watcher.onSync();
    expect(await done).toMatchObject({ seq: 4, status: 'completed' });
    expect(reads()).toBe(4);
    expect(maxInFlight()).toBe(1);
    expect(seen.map((j) => j.seq)).toEqual([1, 2, 3, 4]);
  });

  it('polls while live updates are unavailable, and stops at the terminal status', async () => {
    const { watcher, reads } = setup(
      [
        job({ seq: 1 }),
        job({ seq: 2, status: 'encoding' }),
        job({ seq: 3, status: 'failed', error: { code: 'invalid_input', message: 'not a readable media file' } }),
      ],
      { fallbackPollMs: 10 },
    );
    watcher.onUnavailable('subscription refused: HTTP 403');
    expect(watcher.realtime).toEqual({ state: 'down', reason: 'subscription refused: HTTP 403' });
    const final = await watcher.follow('job_1');
    expect(final.error?.message).toBe('not a readable media file');
    const after = reads();
    await tick(50);
    expect(reads()).toBe(after);
  });

  it('retries reads through network trouble but gives up on a 404', async () => {
    const flaky = setup([new ApiError(0, 'ECONNRESET'), job({ seq: 2, status: 'completed' })], { fallbackPollMs: 10 });
    flaky.watcher.onUnavailable('connection unavailable');
    expect(await flaky.watcher.follow('job_1')).toMatchObject({ status: 'completed' });

    const gone = setup([new ApiError(404, 'job not found', 'not_found')]);
    await expect(gone.watcher.follow('job_1')).rejects.toMatchObject({ status: 404, message: 'job not found' });
  });

  it('reports the live state once subscribed or refused, or pending after the timeout', async () => {
    const a = setup();
    setTimeout(() => a.watcher.onSubscribed(), 5);
    expect(await a.watcher.waitForRealtime(1000)).toBe('live');
    const b = setup();
    setTimeout(() => b.watcher.onUnavailable('connection failed'), 5);
    expect(await b.watcher.waitForRealtime(1000)).toBe('down');
    expect(await setup().watcher.waitForRealtime(10)).toBe('pending');
  });
});

import { waitFor, type SoketiHandle } from '@kiln/testing';
import type Pusher from 'pusher';
import { startSoketiServer } from './soketi-server.test-helper.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me } from './api.schema.js';
import { JobWatchSession, type WatchProblem } from './job-watch.session.js';
import type { Job, JobStatus, JobSummary } from './job.schema.js';

const CHANNEL = 'private-job-j1';

function job(seq: number, status: JobStatus, percent = 0, signed = false): Job {
  return {
    id: 'j1',
    customerId: 'acme',
    status,
    priority: 'normal',
    pool: 'cpu',
    input: 'https://example.com/in.mp4',
    metadata: {},
    progress: { percent, fps: null, speed: null, etaSeconds: null },
    outputs: [
      {
        name: 'mp4',
        preset: 'mp4-360p',
        status: status === 'completed' ? 'completed' : 'pending',
        contentType: 'video/mp4',
        sizeBytes: null,
        durationSeconds: null,
        width: null,
        height: null,
        downloadPath: null,
        ...(signed
          ? { signedUrl: 'https://kiln.example/play/t/mp4.mp4', signedUrlExpiresAt: '2030-01-01T00:00:00Z' }
          : {}),
      },
    ],
    error: null,
    attempts: 1,
    seq,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
  };
}

/** What a `job.*` event carries: the summary (no input, metadata, signed URLs). */
function event(j: Job): { id: string; seq: number; status: JobStatus; job: JobSummary } {
  const { input: _i, metadata: _m, ...rest } = j;
  return {
    id: j.id,
    seq: j.seq,
    status: j.status,
    job: { ...rest, outputs: j.outputs.map(({ signedUrl: _u, signedUrlExpiresAt: _e, ...o }) => o) },
  };
}

/**
 * The API as a viewer token sees it, over a fetch function: `/v1/me`, the job (its current
 * `truth`), and channel authorization signed for the real soketi. `refuse` makes it answer 401.
 */
function fakeApi(server: Pusher, me: Me) {
  const state = { truth: job(1, 'queued'), reads: 0, refuse: false, tokens: new Set<string>() };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    state.tokens.add(new Headers(init?.headers).get('authorization') ?? '');
    if (state.refuse) return json(401, { error: { code: 'unauthorized', message: 'token expired' } });
    if (url.pathname === '/v1/me') return json(200, me);
    if (url.pathname === '/v1/jobs/j1' && url.searchParams.get('signed') === 'true') {
      state.reads++;
      return json(200, state.truth);
    }
    if (url.pathname === '/v1/realtime/auth') {
      const form = new URLSearchParams(String(init?.body));
      return json(200, server.authorizeChannel(form.get('socket_id')!, form.get('channel_name')!));
    }
    return json(404, { error: { code: 'not_found', message: url.pathname } });
  };
  return { state, fetch };
}

describe('JobWatchSession against a real soketi', () => {
  let soketi: SoketiHandle;
  let server: Pusher;
  let me: Me;
  const open: JobWatchSession[] = [];

  beforeAll(async () => {
    ({ soketi, server, me } = await startSoketiServer(CHANNEL));
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await soketi?.stop();
  });

  function watch(fetch: ReturnType<typeof fakeApi>['fetch']) {
    const seen: { jobs: JobSummary[]; problems: (WatchProblem | undefined)[] } = { jobs: [], problems: [] };
    const session = new JobWatchSession(
      { api: 'http://kiln.test', jobId: 'j1', token: 'vt', fetch },
      { onJob: (j) => seen.jobs.push(j), onProblem: (p) => seen.problems.push(p) },
    );
    open.push(session);
    void session.start();
    return { session, seen };
  }

  it('reads, then merges its own job events by seq, ignores other jobs, re-reads on sync and for signed URLs at the end', async () => {
    const api = fakeApi(server, me);
    const { session, seen } = watch(api.fetch);
    // A read on start and one on subscription; both give seq 1.
    await waitFor(() => api.state.reads >= 2 && seen.jobs.length === 1, { timeoutMs: 10_000 });
    expect([...api.state.tokens]).toEqual(['Bearer vt']);

    await server.trigger(CHANNEL, 'job.progress', event(job(3, 'encoding', 40)));
    await server.trigger(CHANNEL, 'job.progress', event(job(2, 'encoding', 20))); // late: stale
    await server.trigger(CHANNEL, 'job.progress', event({ ...job(9, 'encoding', 90), id: 'j2' })); // another job
    await waitFor(() => session.job?.seq === 3, { timeoutMs: 10_000 });
    api.state.truth = job(5, 'encoding', 60);
    const readsBefore = api.state.reads;
    await server.trigger(CHANNEL, 'sync', {});
    await waitFor(() => session.job?.seq === 5, { timeoutMs: 10_000 });
    expect(api.state.reads).toBe(readsBefore + 1);

    // The completed event has no signed URL; the session reads the record that has it.
    api.state.truth = job(6, 'completed', 100, true);
    await server.trigger(CHANNEL, 'job.completed', event(job(6, 'completed', 100)));
    await waitFor(() => session.job?.outputs[0]?.signedUrl !== undefined, { timeoutMs: 10_000 });
    expect(seen.jobs.map((j) => [j.seq, j.status])).toEqual([
      [1, 'queued'],
      [3, 'encoding'],
      [5, 'encoding'],
      [6, 'completed'],
      [6, 'completed'],
    ]);
    expect(seen.jobs.every((j) => j.id === 'j1')).toBe(true);
    expect(seen.problems.filter((p) => p !== undefined)).toEqual([]);
  });

  it('reports an expired token and stops: nothing reaches its handlers after', async () => {
    const api = fakeApi(server, me);
    const { session, seen } = watch(api.fetch);
    await waitFor(() => api.state.reads >= 2, { timeoutMs: 10_000 });
    api.state.refuse = true;
    await server.trigger(CHANNEL, 'sync', {});
    await waitFor(() => seen.problems.some((p) => p?.kind === 'token-expired'), { timeoutMs: 10_000 });
    const jobsSeen = seen.jobs.length;
    await server.trigger(CHANNEL, 'job.progress', event(job(7, 'encoding', 70)));
    await session.reread();
    expect(seen.jobs).toHaveLength(jobsSeen);
    expect(seen.problems.filter((p) => p?.kind === 'token-expired')).toHaveLength(1);
  });
});

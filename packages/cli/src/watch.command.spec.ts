import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job, Me } from '@kiln/client';
import { runCli } from './cli.js';
import { job, memoryIo, startFakeApi } from './fake-api.test-helper.js';
import type { ChannelAuthorization, ChannelAuthorizer, RealtimeConnection, RealtimeHandlers } from '@kiln/client';

const until = async (predicate: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const event = (j: Job) => ({ id: j.id, seq: j.seq, status: j.status, job: j });

/**
 * Stands in for pusher-js (soketi is exercised by test/e2e/cli.test.ts): records the connection,
 * signs the subscription through the real auth call, then lets the test deliver channel events.
 */
function fakeRealtime(mode: 'subscribe' | 'refuse') {
  // The watcher passes itself as the handlers: it implements every one of them.
  const state: { me?: Me; handlers?: Required<RealtimeHandlers>; auth?: unknown; closed: boolean; order: string[] } = {
    closed: false,
    order: [],
  };
  const connect = (me: Me, auth: ChannelAuthorization, realtimeHandlers: RealtimeHandlers): RealtimeConnection => {
    const authorize = auth as ChannelAuthorizer;
    const handlers = realtimeHandlers as Required<RealtimeHandlers>;
    state.me = me;
    state.handlers = handlers;
    state.order.push('connect');
    void authorize('123.456', me.channel).then(
      (auth) => {
        state.auth = auth;
        if (mode === 'subscribe') handlers.onSubscribed();
        else handlers.onUnavailable('subscription refused: HTTP 403');
      },
      () => handlers.onUnavailable('auth failed'),
    );
    return { close: () => void (state.closed = true) };
  };
  return { connect, state };
}

describe('kiln submit --watch (in-process, fake API, fake channel)', () => {
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  let current: Job;
  /** What `GET /v1/jobs/:id` answers right after the job is created (default: the created job). */
  let afterCreate: Job | undefined;
  const env = () => ({ KILN_API_URL: api.url, KILN_API_KEY: 'k1' });
  const completed = (seq: number) =>
    job({
      id: 'job_new',
      seq,
      status: 'completed',
      progress: { percent: 100, fps: 250, speed: 9.8, etaSeconds: 0 },
      finishedAt: '2025-01-01T00:00:02.300Z',
      outputs: [
        {
          name: 'mp4-360p',
          preset: 'mp4-360p',
          status: 'completed',
          contentType: 'video/mp4',
          sizeBytes: 85_200,
          durationSeconds: 2,
          width: 480,
          height: 360,
          downloadPath: '/v1/jobs/job_new/outputs/mp4-360p',
        },
      ],
    });

  beforeAll(async () => {
    api = await startFakeApi({
      'GET /v1/me': () => ({
        status: 200,
        body: {
          customerId: 'acme',
          channel: 'private-customer-acme',
          pusher: { key: 'pk', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: 6001, forceTLS: false },
        },
      }),
      'POST /v1/realtime/auth': () => ({ status: 200, body: { auth: 'pk:signature' } }),
      'POST /v1/jobs': (req) => {
        const created = job({ id: 'job_new', input: (JSON.parse(req.body.toString()) as { input: string }).input });
        current = afterCreate ?? created;
        return { status: 202, body: created };
      },
      'GET /v1/jobs/:id': () => ({ status: 200, body: current }),
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  beforeEach(() => {
    api.requests.length = 0;
    afterCreate = undefined;
  });

  it('subscribes before creating the job, follows events to completion, and prints the outputs', async () => {
    const rt = fakeRealtime('subscribe');
    const io = memoryIo(env(), { connectRealtime: rt.connect });
    const run = runCli(['submit', 'file:///in/clip.mp4', '--preset', 'mp4-360p', '--watch'], io);
    // Events only make sense once the CLI knows the job: wait until it said so.
    await until(() => io.out().includes('Job job_new queued'));
    const h = rt.state.handlers!;
    h.onJobEvent('job.progress', event(job({ id: 'job_new', seq: 2, status: 'probing' })));
    h.onJobEvent(
      'job.progress',
      event(
        job({
          id: 'job_new',
          seq: 3,
          status: 'encoding',
          progress: { percent: 48, fps: 240, speed: 9.6, etaSeconds: 1 },
        }),
      ),
    );
    h.onSync();
    h.onJobEvent('job.completed', event(completed(5)));
    expect(await run).toBe(0);

    const paths = api.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.indexOf('POST /v1/realtime/auth')).toBeLessThan(paths.indexOf('POST /v1/jobs'));
    const auth = api.requests.find((r) => r.path === '/v1/realtime/auth')!;
    expect(auth.headers.authorization).toBe('Bearer k1');
    expect(auth.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(auth.body.toString()))).toEqual({
      socket_id: '123.456',
      channel_name: 'private-customer-acme',
    });
    expect(rt.state.closed).toBe(true);

    const out = io.out();
    expect(out).toContain('Job job_new queued (mp4-360p)');
    expect(out).toContain('probing 0%');
    expect(out).toContain('encoding 48% | 240 fps | 9.6x | ETA 0:01');
    expect(out).toContain('Job job_new completed in 2.3s (3 live events)');
    expect(out).toMatch(
      new RegExp(`mp4-360p\\s+completed\\s+85\\.2 kB\\s+480x360 2\\.0s\\s+${api.url}/v1/jobs/job_new/outputs/mp4-360p`),
    );
    expect(io.err()).toBe('');
  });

  it('shows the place in line from the read and from queue.updated before the progress starts', async () => {
    const queue = (position: number, etaSeconds: number | null) => ({
      position,
      etaSeconds,
      pool: 'cpu',
      reason: null,
    });
    afterCreate = job({ id: 'job_new', queue: queue(3, null) });
    const rt = fakeRealtime('subscribe');
    const io = memoryIo(env(), { connectRealtime: rt.connect });
    const run = runCli(['submit', 'file:///in/clip.mp4', '--preset', 'mp4-360p', '--watch'], io);
    await until(() => io.out().includes('queued · 3rd in line'));
    const h = rt.state.handlers!;
    h.onQueueEvent({ at: '2026-01-01T00:00:01.000Z', jobs: [{ id: 'job_new', ...queue(1, 40) }] });
    await until(() => io.out().includes('queued · next in line · ~40 s'));
    h.onJobEvent('job.progress', event(job({ id: 'job_new', seq: 2, status: 'probing' })));
    h.onJobEvent('job.completed', event(completed(5)));
    expect(await run).toBe(0);
    const out = io.out();
    expect(out.indexOf('queued · 3rd in line')).toBeLessThan(out.indexOf('queued · next in line · ~40 s'));
    expect(out.indexOf('queued · next in line · ~40 s')).toBeLessThan(out.indexOf('probing 0%'));
  });

  it("exits 1 with the job's error message when it fails", async () => {
    const rt = fakeRealtime('subscribe');
    const io = memoryIo(env(), { connectRealtime: rt.connect });
    const run = runCli(['submit', 'file:///in/corrupt.mp4', '--preset', 'mp4-360p', '--watch'], io);
    await until(() => rt.state.handlers !== undefined && api.requests.some((r) => r.path === '/v1/jobs'));
    await until(() => io.out().includes('Job job_new queued'));
    rt.state.handlers!.onJobEvent(
      'job.failed',
      event(
        job({
          id: 'job_new',
          seq: 4,
          status: 'failed',
          error: { code: 'invalid_input', message: 'not a readable media file (moov atom not found)' },
        }),
      ),
    );
    expect(await run).toBe(1);
    expect(io.err()).toContain('Job job_new failed: not a readable media file (moov atom not found)');
  });

  it('prints only the final job as JSON with --json --watch', async () => {
    const rt = fakeRealtime('subscribe');
    const io = memoryIo(env(), { connectRealtime: rt.connect });
    const run = runCli(['--json', 'submit', 'file:///in/clip.mp4', '--preset', 'mp4-360p', '--watch'], io);
    await until(() => rt.state.handlers !== undefined && api.requests.some((r) => r.path === '/v1/jobs'));
    // --json prints nothing until the end, so there is no moment to wait for: deliver the events
    // again until the CLI is done, as a redelivering channel would (the seq merge drops repeats).
    let done = false;
    const exit = run.finally(() => (done = true));
    while (!done) {
      rt.state.handlers!.onJobEvent('job.progress', event(job({ id: 'job_new', seq: 2, status: 'encoding' })));
      rt.state.handlers!.onJobEvent('job.completed', event(completed(3)));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exit).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ id: 'job_new', seq: 3, status: 'completed' });
  });

  it('prints the full record of a completed job whose event carried only its summary (no files)', async () => {
    const hls = job({
      id: 'job_new',
      seq: 6,
      status: 'completed',
      finishedAt: '2025-01-01T00:00:02.300Z',
      outputs: [
        {
          name: 'hls',
          preset: 'hls',
          status: 'completed',
          contentType: 'application/vnd.apple.mpegurl',
          sizeBytes: 91_000,
          durationSeconds: 8,
          width: 480,
          height: 360,
          downloadPath: '/v1/jobs/job_new/outputs/hls/master.m3u8',
          files: [
            { path: 'master.m3u8', sizeBytes: 200 },
            { path: 'v0/index.m3u8', sizeBytes: 300 },
            { path: 'v0/seg_000.ts', sizeBytes: 90_500 },
          ],
        },
      ],
    });
    // What the channel carries since events are bounded: the list row's fields, no files.
    const {
      input: _input,
      metadata: _metadata,
      ...summary
    } = { ...hls, outputs: hls.outputs.map(({ files: _files, ...o }) => ({ ...o, fileCount: 3 })) };
    for (const json of [true, false]) {
      api.requests.length = 0;
      const rt = fakeRealtime('subscribe');
      const io = memoryIo(env(), { connectRealtime: rt.connect });
      const run = runCli(
        [...(json ? ['--json'] : []), 'submit', 'file:///in/clip.mp4', '--preset', 'hls', '--watch'],
        io,
      );
      await until(() => rt.state.handlers !== undefined && api.requests.some((r) => r.path === '/v1/jobs'));
      current = hls;
      let done = false;
      const exit = run.finally(() => (done = true));
      while (!done) {
        rt.state.handlers!.onJobEvent('job.completed', { id: 'job_new', seq: 6, status: 'completed', job: summary });
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await exit).toBe(0);
      if (json) expect(JSON.parse(io.out())).toEqual(hls);
      else
        expect(io.out()).toMatch(
          new RegExp(
            `hls\\s+completed\\s+91\\.0 kB\\s+480x360 8\\.0s\\s+${api.url}/v1/jobs/job_new/outputs/hls/master\\.m3u8`,
          ),
        );
    }
  });

  it('falls back to reading the API when the subscription is refused, and says so', async () => {
    const rt = fakeRealtime('refuse');
    afterCreate = completed(7);
    const io = memoryIo(env(), { connectRealtime: rt.connect });
    expect(await runCli(['submit', 'https://x.test/a.mp4', '--preset', 'mp4-360p', '--watch'], io)).toBe(0);
    expect(
      api.requests.filter((r) => r.method === 'GET' && r.path === '/v1/jobs/job_new').length,
    ).toBeGreaterThanOrEqual(1);
    expect(io.err()).toContain('live updates unavailable (subscription refused: HTTP 403)');
    expect(io.out()).toContain('Job job_new completed in 2.3s (no live events; read from the API)');
  });

  it('stops watching on Ctrl-C with exit 130, telling how to cancel the job that keeps running', async () => {
    const rt = fakeRealtime('subscribe');
    let interrupt: (() => void) | undefined;
    const io = memoryIo(env(), {
      connectRealtime: rt.connect,
      onInterrupt: (h) => ((interrupt = h), () => (interrupt = undefined)),
    });
    const run = runCli(['submit', 'file:///in/clip.mp4', '--preset', 'mp4-360p', '--watch'], io);
    await until(() => interrupt !== undefined && api.requests.some((r) => r.path === '/v1/jobs'));
    await until(() => io.out().includes('Job job_new queued'));
    interrupt!();
    expect(await run).toBe(130);
    expect(io.err()).toContain('kiln cancel job_new');
    expect(interrupt).toBeUndefined();
    expect(rt.state.closed).toBe(true);
  });
});

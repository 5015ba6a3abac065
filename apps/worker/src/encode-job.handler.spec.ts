import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  encodeLockKey,
  JobRepository,
  UsageRepository,
  type EncodeJobData,
  type Job,
  type JobStatus,
} from '@kiln/jobs';
import { createLogger } from '@kiln/logger';
import {
  FfmpegMediaAdapter,
  MediaProbeError,
  TranscodeCancelledError,
  TranscodeStalledError,
  type FirstEncode,
  type MediaInfo,
  type MediaSource,
  TranscodeError,
  type SourceEncode,
  type SourceGroupEncode,
  type TranscodeResult,
} from '@kiln/media';
import type { OutputRef, ScratchOptions, ScratchOutput } from '@kiln/storage';
import { makeClip, useRedis } from '@kiln/testing';
import { UnrecoverableError, WaitingError, type Job as BullJob } from 'bullmq';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkedEncode, Split } from './chunked-encode.js';
import { EncodeJobHandler } from './encode-job.handler.js';
import { EncodeSlots } from './encode-slots.js';
import { InputError } from './input.errors.js';
import { LockLostError } from './run.errors.js';
import { RunningJobs, type FinishedOutcome } from './running-jobs.js';
import { WorkerMetrics } from './worker-metrics.js';

const TOKEN = 'run-token';
const RUNNING: JobStatus[] = ['queued', 'probing', 'encoding', 'storing'];
const INFO: MediaInfo = {
  durationSeconds: 10,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  sizeBytes: 1000,
  bitRate: null,
  video: { codec: 'h264', width: 640, height: 360, displayWidth: 640, displayHeight: 360, fps: 25, rotation: 0 },
  audio: { codec: 'aac', channels: 2, sampleRate: 48_000 },
  transcodable: true,
};

/** What a one-decode encode of the fake media does; by default it reports half way and succeeds. */
type GroupEncode = (req: SourceGroupEncode, ctx: Harness) => Promise<void>;

/** Counts every call of a release function it hands out, so a second release would show. */
class CountingSlots extends EncodeSlots {
  releases = 0;

  override tryAcquire(): (() => void) | undefined {
    const release = super.tryAcquire();
    return release && this.counted(release);
  }

  override async acquire(signal?: AbortSignal): Promise<() => void> {
    return this.counted(await super.acquire(signal));
  }

  private counted(release: () => void): () => void {
    return () => {
      this.releases++;
      release();
    };
  }
}

/** What an encode of the fake media does; by default it reports half way and succeeds. */
type Encode = (req: SourceEncode, ctx: Harness) => Promise<void>;

/** A plain media toolkit: every input probes as `info` ({@link INFO} unless a test sets it); encodes do what the test says. */
class FakeMedia {
  info: MediaInfo = INFO;
  firstHints: (string | undefined)[] = [];
  /** The presets of every one-decode encode asked for, in order. */
  groups: string[][] = [];
  closed = 0;
  openError: Error | undefined;
  /** The images probed as watermarks, and what probing them throws. */
  images: string[] = [];
  imageError: Error | undefined;

  constructor(private readonly ctx: () => Harness) {}

  async open(_input: string, first?: FirstEncode): Promise<MediaSource> {
    this.firstHints.push(first?.output);
    if (this.openError) throw this.openError;
    return {
      info: this.info,
      transcode: async (req): Promise<TranscodeResult> => {
        await this.ctx().encode(req, this.ctx());
        return { durationSeconds: 10, width: 640, height: 360, elapsedSeconds: 1 };
      },
      transcodeGroup: async (req): Promise<TranscodeResult[]> => {
        this.groups.push(req.outputs.map((o) => o.preset.id));
        await this.ctx().encodeGroup(req, this.ctx());
        return req.outputs.map(() => ({ durationSeconds: 10, width: 640, height: 360, elapsedSeconds: 1 }));
      },
      close: async () => {
        this.closed++;
      },
    };
  }

  async probeImage(path: string): Promise<{ width: number; height: number }> {
    this.images.push(path);
    if (this.imageError) throw this.imageError;
    return { width: 200, height: 100 };
  }
}

/** A plain storage: scratch outputs live only in memory; the test sees what was committed or discarded. */
class FakeStorage {
  created: string[] = [];
  committed: string[] = [];
  discarded: string[] = [];

  async scratch(ref: OutputRef, opts?: ScratchOptions): Promise<ScratchOutput> {
    const scratchPath = `/scratch/${opts?.runId}/${ref.name}`;
    this.created.push(ref.name);
    let committed = false;
    return {
      path: scratchPath,
      commit: async (fence) => {
        await fence?.();
        committed = true;
        this.committed.push(ref.name);
        return { sizeBytes: 1250, checksum: 'sha256:00' };
      },
      discard: async () => {
        if (!committed) this.discarded.push(ref.name);
      },
    };
  }

  async clearTemps(): Promise<number> {
    return 0;
  }
}

interface Harness {
  repo: JobRepository;
  prefix: string;
  slots: CountingSlots;
  media: FakeMedia;
  storage: FakeStorage;
  handler: EncodeJobHandler;
  /** Every announced version of the job, in order. */
  announced: { event: string; status: JobStatus; seq: number }[];
  encode: Encode;
  encodeGroup: GroupEncode;
  /** Set: the hls output's encode fails with it. */
  failHls?: Error;
  /** Inputs the resolver refuses, with the error it throws. */
  refuse?: Record<string, Error>;
  movedToWait: number;
  /** The worker's tracker of running jobs, and every job it was told finished for good. */
  running: RunningJobs;
  finished: [string, FinishedOutcome][];
}

const db = useRedis();
let scratchDir: string;
beforeAll(async () => {
  scratchDir = await mkdtemp(path.join(tmpdir(), 'kiln-handler-spec-'));
});
afterAll(async () => {
  await rm(scratchDir, { recursive: true, force: true });
});

const halfWay: Encode & GroupEncode = async (req: { onProgress?: SourceEncode['onProgress'] }) =>
  req.onProgress?.({ percent: 50, fps: 100, speed: 4, etaSeconds: 1 });

/** A harness whose handler encodes a job's outputs with one decode (KILN_ONE_DECODE). */
function oneDecodeHarness(encodeGroup: GroupEncode = halfWay, encode: Encode = halfWay): Harness {
  const h = harness(encode, true);
  h.encodeGroup = encodeGroup;
  return h;
}

function harness(encode: Encode = halfWay, oneDecode = false, chunking?: ChunkedEncode): Harness {
  const prefix = `test-${randomUUID()}`;
  const repo = new JobRepository(db.redis, prefix);
  const record = (job: Job, event: string) => {
    h.announced.push({ event, status: job.status, seq: job.seq });
    return Promise.resolve('published' as const);
  };
  const h: Harness = {
    repo,
    prefix,
    slots: new CountingSlots(1),
    media: new FakeMedia(() => h),
    storage: new FakeStorage(),
    announced: [],
    encode,
    encodeGroup: halfWay,
    movedToWait: 0,
    running: new RunningJobs(),
    finished: [],
    handler: undefined as unknown as EncodeJobHandler,
  };
  h.running.onFinished((id, outcome) => h.finished.push([id, outcome]));
  h.handler = new EncodeJobHandler({
    repo,
    announcer: { announce: record, announceFinal: record },
    media: h.media,
    storage: h.storage,
    inputs: {
      resolve: async (input, ctx) => {
        const refused = h.refuse?.[input];
        if (refused) throw refused;
        // A file:// input is read where it is; anything else lands in the run's folder.
        const local = input.startsWith('file://') ? new URL(input).pathname : path.join(ctx.workDir, 'download');
        return { path: local, cleanup: async () => undefined };
      },
    },
    slots: h.slots,
    scratchDir,
    metrics: new WorkerMetrics(new Registry()),
    running: h.running,
    logger: createLogger({ name: 'handler-spec', level: 'silent' }),
    progressIntervalMs: 0,
    threads: 1,
    oneDecode,
    chunking,
  });
  return h;
}

/** A queued job with two outputs, locked by {@link TOKEN} as BullMQ's moveToActive would. */
async function queuedJob(h: Harness): Promise<Job> {
  const job = await h.repo.create({
    customerId: 'acme',
    input: 'file:///inputs/clip.mp4',
    outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }],
  });
  await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
  return job;
}

function bullJob(h: Harness, job: Job, attemptsMade = 0, attempts = 3): BullJob<EncodeJobData> {
  return {
    data: { jobId: job.id, customerId: job.customerId },
    attemptsMade,
    opts: { attempts },
    moveToWait: async () => {
      h.movedToWait++;
      return 0;
    },
  } as unknown as BullJob<EncodeJobData>;
}

/** The job's statuses as announced, each once, in order. */
function statusPath(h: Harness): JobStatus[] {
  return h.announced.map((a) => a.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

/** Waits until the run's signal aborts, then fails as a killed ffmpeg does. */
async function untilStopped(req: Pick<SourceEncode, 'signal'>): Promise<never> {
  const signal = req.signal!;
  if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
  throw new TranscodeCancelledError('the encode was cancelled; ffmpeg stopped', null, '');
}

describe('EncodeJobHandler', () => {
  it('completes a job: status only moves forward, every output stored, the slot released once', async () => {
    const h = harness();
    const job = await queuedJob(h);
    await h.handler.process(bullJob(h, job), TOKEN);

    const done = (await h.repo.get(job.id))!;
    expect(done).toMatchObject({ status: 'completed', attempts: 1, error: null, progress: { percent: 100 } });
    expect(done.outputs).toMatchObject([
      { name: 'mp4-360p', status: 'completed', sizeBytes: 1250, checksum: 'sha256:00', bitrateKbps: 1, width: 640 },
      { name: 'hls', status: 'completed', downloadPath: `/v1/jobs/${job.id}/outputs/hls/master.m3u8` },
    ]);
    expect(statusPath(h)).toEqual(['probing', 'encoding', 'storing', 'completed']);
    expect(h.announced.at(-1)).toMatchObject({ event: 'job.completed', seq: done.seq });
    // The first output is asked for like every other; the toolkit is told it comes first.
    expect(h.media.firstHints).toHaveLength(1);
    expect(h.media.firstHints[0]).toMatch(/\/mp4-360p\.mp4$/);
    expect(h.storage.committed).toEqual(['mp4-360p.mp4', 'hls']);
    expect(h.storage.discarded).toEqual([]);
    // The customer's stored bytes count both outputs once (GET /v1/usage).
    expect((await new UsageRepository(db.redis, h.prefix).read('acme')).outputBytes).toBe(2 * 1250);
    expect(h.media.closed).toBe(1);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('tells the running-jobs tracker what runs, with status and progress, and which jobs finished for good', async () => {
    const seen: ReturnType<RunningJobs['list']>[] = [];
    const h = harness(async (req, ctx) => {
      req.onProgress?.({ percent: 50, fps: 100, speed: 4, etaSeconds: 1 });
      seen.push(ctx.running.list());
      if (req.preset.id === 'hls' && ctx.failHls) throw ctx.failHls;
    });
    const done = await queuedJob(h);
    await h.handler.process(bullJob(h, done), TOKEN);
    // Two outputs: half of the first is a quarter of the job, half of the second three quarters.
    expect(seen).toEqual([
      [{ id: done.id, customerId: 'acme', status: 'encoding', percent: 25, speed: 4 }],
      [{ id: done.id, customerId: 'acme', status: 'encoding', percent: 75, speed: 4 }],
    ]);
    expect(h.running.list()).toEqual([]);
    expect(h.finished).toEqual([[done.id, 'completed']]);

    // A retry is not finished; the last attempt failing is.
    h.failHls = new TranscodeStalledError('ffmpeg reported no progress', null, '');
    const failing = await queuedJob(h);
    await h.handler.process(bullJob(h, failing, 0, 3), TOKEN).catch(() => undefined);
    expect(h.finished).toEqual([[done.id, 'completed']]);
    await db.redis.set(encodeLockKey(h.prefix, failing.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, failing, 2, 3), TOKEN).catch(() => undefined);
    expect(h.finished).toEqual([
      [done.id, 'completed'],
      [failing.id, 'failed'],
    ]);
    expect(h.running.list()).toEqual([]);
  });

  it('fails bad input at once, for good, without a retry', async () => {
    const h = harness();
    h.media.openError = new InputError('no_video', 'input has no video stream');
    const job = await queuedJob(h);
    const err = await h.handler.process(bullJob(h, job, 0, 3), TOKEN).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(await h.repo.get(job.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'no_video', message: 'input has no video stream' },
      outputs: [{ status: 'failed' }, { status: 'failed' }],
    });
    expect(h.announced.at(-1)).toMatchObject({ event: 'job.failed', status: 'failed' });
    expect(h.storage.discarded.sort()).toEqual(['hls', 'mp4-360p.mp4']);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('queues a transient failure again for a retry while attempts are left', async () => {
    const h = harness(async () => {
      throw new TranscodeStalledError('ffmpeg reported no progress for 120 s and was killed', null, '');
    });
    const job = await queuedJob(h);
    const err = await h.handler.process(bullJob(h, job, 0, 3), TOKEN).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TranscodeStalledError);
    expect(await h.repo.get(job.id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      error: { code: 'retrying', message: expect.stringMatching(/^attempt 1 of 3 failed \(ffmpeg reported no/) },
    });
    expect(h.storage.discarded.sort()).toEqual(['hls', 'mp4-360p.mp4']);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it("stores the input's probe with the move to encoding, and a retry's probe replaces it", async () => {
    const h = harness(async (req, ctx) => {
      if (ctx.media.info === INFO) throw new TranscodeStalledError('ffmpeg reported no progress', null, '');
    });
    const job = await queuedJob(h);
    expect(job.inputProbe).toBeNull();
    await h.handler.process(bullJob(h, job, 0, 3), TOKEN).catch(() => undefined);
    expect((await h.repo.get(job.id))!).toMatchObject({
      status: 'queued',
      inputProbe: { sizeBytes: 1000, video: { codec: 'h264', width: 640, height: 360, bitrateKbps: null } },
    });

    // The second attempt probes a real clip (ffprobe of a lavfi file) and overwrites the first probe.
    const clip = await makeClip({ seconds: 2, width: 320, height: 240 });
    h.media.info = await new FfmpegMediaAdapter().probe(clip);
    await h.handler.process(bullJob(h, job, 1, 3), TOKEN);
    const done = (await h.repo.get(job.id))!;
    expect(done.status).toBe('completed');
    const probe = done.inputProbe!;
    expect(probe.durationSeconds).toBeCloseTo(2, 1);
    expect(probe).toMatchObject({
      container: expect.stringContaining('mp4'),
      sizeBytes: expect.any(Number),
      video: { codec: 'h264', width: 320, height: 240, fps: 25, pixelFormat: 'yuv420p' },
      audio: { codec: 'aac', channels: 1, sampleRate: 48_000 },
    });
    expect(probe.video!.bitrateKbps).toBeGreaterThan(0);
    expect(probe.audio!.bitrateKbps).toBeGreaterThan(0);
  });

  it('fails the job for good when the last attempt fails, keeping the outputs already stored', async () => {
    const h = harness(async (req) => {
      if (req.preset.id === 'hls') throw new TranscodeStalledError('ffmpeg reported no progress', null, '');
    });
    const job = await queuedJob(h);
    const err = await h.handler.process(bullJob(h, job, 2, 3), TOKEN).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(await h.repo.get(job.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'transcode_stalled', message: 'ffmpeg reported no progress' },
      outputs: [{ status: 'completed' }, { status: 'failed' }],
    });
    expect(h.storage.discarded).toEqual(['hls']);
    expect((await new UsageRepository(db.redis, h.prefix).read('acme')).outputBytes).toBe(1250);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('stops a job cancelled mid-encode and leaves it cancelled', async () => {
    const h = harness(async (req, ctx) => {
      await ctx.repo.update(jobId, { status: 'cancelled' }, RUNNING);
      // The next progress write is refused: the run stops at once.
      req.onProgress?.({ percent: 60, fps: 100, speed: 4, etaSeconds: 1 });
      await untilStopped(req);
    });
    const job = await queuedJob(h);
    const jobId = job.id;
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toMatchObject({ status: 'cancelled' });
    expect(h.storage.committed).toEqual([]);
    expect(h.storage.discarded.sort()).toEqual(['hls', 'mp4-360p.mp4']);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('stops without writing anything once another run holds the lock', async () => {
    let seqAtLoss = 0;
    const h = harness(async (req, ctx) => {
      seqAtLoss = (await ctx.repo.get(jobId))!.seq;
      await db.redis.set(encodeLockKey(ctx.prefix, jobId), 'another-run', 'PX', 60_000);
      req.onProgress?.({ percent: 60, fps: 100, speed: 4, etaSeconds: 1 });
      await untilStopped(req);
    });
    const job = await queuedJob(h);
    const jobId = job.id;
    const err = await h.handler.process(bullJob(h, job), TOKEN).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(LockLostError);
    expect(await h.repo.get(job.id)).toMatchObject({ status: 'encoding', seq: seqAtLoss });
    expect(h.storage.committed).toEqual([]);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('hands the job back to the queue when shutdown stops its encode past the grace', async () => {
    const bullSignal = new AbortController();
    const h = harness(async (req, ctx) => {
      ctx.handler.beginHandover();
      bullSignal.abort('worker shutting down');
      await untilStopped(req);
    });
    const job = await queuedJob(h);
    const err = await h.handler.process(bullJob(h, job), TOKEN, bullSignal.signal).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WaitingError);
    expect(h.movedToWait).toBe(1);
    expect(await h.repo.get(job.id)).toMatchObject({ status: 'queued', error: null, progress: { percent: 0 } });
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('hands back a prefetched job waiting for a slot when the slots close, having never held one', async () => {
    const h = harness();
    const busy = h.slots.tryAcquire()!;
    const job = await queuedJob(h);
    const running = h.handler.process(bullJob(h, job), TOKEN).catch((e: unknown) => e);
    while (h.media.firstHints.length === 0) await new Promise((r) => setTimeout(r, 5));
    // Probed without a slot: still queued, and nothing was begun beside the probe.
    expect(h.media.firstHints).toEqual([undefined]);
    expect((await h.repo.get(job.id))!.status).toBe('queued');
    h.slots.close();

    expect(await running).toBeInstanceOf(WaitingError);
    expect(h.movedToWait).toBe(1);
    expect((await h.repo.get(job.id))!.status).toBe('queued');
    expect(h.slots.releases).toBe(0);
    busy();
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('runs a prefetched job once the slot frees, from queued straight through', async () => {
    const h = harness();
    const busy = h.slots.tryAcquire()!;
    const job = await queuedJob(h);
    const running = h.handler.process(bullJob(h, job), TOKEN);
    while (h.media.firstHints.length === 0) await new Promise((r) => setTimeout(r, 5));
    busy();
    await running;

    expect((await h.repo.get(job.id))!.status).toBe('completed');
    expect(statusPath(h)).toEqual(['probing', 'encoding', 'storing', 'completed']);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 2, busy: 0 });
  });

  it('skips a job that is no longer runnable, announcing its final state again, and one that is gone', async () => {
    const h = harness();
    const job = await queuedJob(h);
    await h.repo.update(job.id, { status: 'completed' });
    await h.handler.process(bullJob(h, job), TOKEN);
    expect(h.announced).toEqual([{ event: 'job.completed', status: 'completed', seq: 2 }]);

    await h.handler.process(bullJob(h, { ...job, id: 'no-such-job' }), TOKEN);
    expect(h.announced).toHaveLength(1);
    expect(h.media.firstHints).toEqual([]);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 0, busy: 0 });
  });

  it('stops quietly when the job record disappears mid-run', async () => {
    const h = harness(async (req, ctx) => {
      await ctx.repo.delete('acme', jobId);
      req.onProgress?.({ percent: 60, fps: 100, speed: 4, etaSeconds: 1 });
      await untilStopped(req);
    });
    const job = await queuedJob(h);
    const jobId = job.id;
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toBeNull();
    expect(h.storage.committed).toEqual([]);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });
});

describe('EncodeJobHandler with one decode per job', () => {
  it('encodes every output with one ffmpeg, all encoding at once with the same progress, then stores each', async () => {
    const seen: { percent: number; statuses: string[] }[] = [];
    const h = oneDecodeHarness(async (req, ctx) => {
      req.onProgress?.({ percent: 50, fps: 100, speed: 4, etaSeconds: 1 });
      const job = (await ctx.repo.get(jobId))!;
      seen.push({ percent: ctx.running.list()[0]!.percent, statuses: job.outputs.map((o) => o.status) });
      expect(req.outputs.map((o) => o.output)).toEqual([
        expect.stringMatching(/\/mp4-360p\.mp4$/),
        expect.stringMatching(/\/hls$/),
      ]);
    });
    const job = await queuedJob(h);
    const jobId = job.id;
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(h.media.groups).toEqual([['mp4-360p', 'hls']]);
    // Both outputs advance together: half of each is half of the job.
    expect(seen).toEqual([{ percent: 50, statuses: ['encoding', 'encoding'] }]);
    const done = (await h.repo.get(job.id))!;
    expect(done).toMatchObject({ status: 'completed', progress: { percent: 100 } });
    expect(done.outputs).toMatchObject([
      { name: 'mp4-360p', status: 'completed', sizeBytes: 1250, width: 640 },
      { name: 'hls', status: 'completed', downloadPath: `/v1/jobs/${job.id}/outputs/hls/master.m3u8` },
    ]);
    expect(statusPath(h)).toEqual(['probing', 'encoding', 'storing', 'completed']);
    expect(h.storage.committed).toEqual(['mp4-360p.mp4', 'hls']);
    // No ffmpeg is started beside the probe for one output of a one-decode command.
    expect(h.media.firstHints).toEqual([undefined]);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('encodes each output alone when the one-decode ffmpeg fails: the output that fails again fails alone', async () => {
    const alone: string[] = [];
    const h = oneDecodeHarness(
      async () => {
        throw new TranscodeError('ffmpeg failed with exit code 1: Error while opening encoder', 1, '');
      },
      async (req) => {
        alone.push(req.preset.id);
        if (req.preset.id === 'mp4-360p')
          throw new TranscodeError('ffmpeg failed with exit code 1: x264 refused', 1, '');
      },
    );
    const job = await queuedJob(h);
    const err = await h.handler.process(bullJob(h, job, 2, 3), TOKEN).catch((e: unknown) => e);

    expect(h.media.groups).toEqual([['mp4-360p', 'hls']]);
    // The failing first output does not keep the second from being made and stored.
    expect(alone).toEqual(['mp4-360p', 'hls']);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(await h.repo.get(job.id)).toMatchObject({
      status: 'failed',
      error: { message: 'ffmpeg failed with exit code 1: x264 refused' },
      outputs: [{ status: 'failed' }, { status: 'completed' }],
    });
    expect(h.storage.committed).toEqual(['hls']);
    expect({ releases: h.slots.releases, busy: h.slots.busy }).toEqual({ releases: 1, busy: 0 });
  });

  it('stops a cancelled one-decode encode without encoding any output again', async () => {
    const alone: string[] = [];
    const h = oneDecodeHarness(
      async (req, ctx) => {
        await ctx.repo.update(jobId, { status: 'cancelled' }, RUNNING);
        req.onProgress?.({ percent: 60, fps: 100, speed: 4, etaSeconds: 1 });
        await untilStopped(req);
      },
      async (req) => {
        alone.push(req.preset.id);
      },
    );
    const job = await queuedJob(h);
    const jobId = job.id;
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toMatchObject({ status: 'cancelled' });
    expect(alone).toEqual([]);
    expect(h.storage.committed).toEqual([]);
    expect(h.storage.discarded.sort()).toEqual(['hls', 'mp4-360p.mp4']);
  });

  it('encodes a job with one video output and its audio by one ffmpeg each, the first begun beside the probe', async () => {
    const h = oneDecodeHarness();
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'audio-aac' }],
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(h.media.groups).toEqual([]);
    expect(h.media.firstHints[0]).toMatch(/\/mp4-360p\.mp4$/);
    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed' });
  });
});

describe('EncodeJobHandler with a job split into chunks', () => {
  it("hands the chunk plan each whole-encoded output's own progress, not the job's", async () => {
    const reported: number[] = [];
    const chunking = {
      chunkable: (plan: { preset: { id: string } }[]) => plan.filter((p) => p.preset.id === 'hls'),
      split: async (_run: unknown, _input: string, _info: MediaInfo, chunked: Split['chunked']): Promise<Split> => ({
        planId: 'plan-1',
        plan: {} as Split['plan'],
        createdAtMs: 0,
        chunked,
      }),
      progressFor: () => (p: { percent: number }) => reported.push(p.percent),
      discard: async () => undefined,
    } as unknown as ChunkedEncode;
    const h = harness(halfWay, false, chunking);
    const job = await queuedJob(h);
    // Once its whole outputs are made the run waits for its chunks, which this BullMQ stand-in cannot do.
    await h.handler.process(bullJob(h, job), TOKEN).catch(() => undefined);

    // mp4-360p, encoded whole, is half done: half of its own input, whatever its place in the job.
    expect(reported).toEqual([50]);
    expect(h.storage.committed).toEqual(['mp4-360p.mp4']);
  });

  it('encodes HLS whole when the input has text subtitles (its caption tracks are written beside the encode)', async () => {
    const offered: string[][] = [];
    const chunking = {
      chunkable: (plan: { preset: { id: string } }[]) => {
        offered.push(plan.map((p) => p.preset.id));
        return plan.filter((p) => p.preset.id === 'hls');
      },
      discard: async () => undefined,
    } as unknown as ChunkedEncode;
    const h = harness(halfWay, false, chunking);
    h.media.info = { ...INFO, subtitles: [{ index: 0, codec: 'subrip', language: 'eng', title: null }] };
    const job = await queuedJob(h);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(offered).toEqual([['mp4-360p']]);
    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed' });
    expect(h.storage.committed.sort()).toEqual(['hls', 'mp4-360p.mp4']);
  });
});

describe('EncodeJobHandler with output settings', () => {
  it('encodes each output by its preset as its settings change it, and skips one the input is below', async () => {
    const asked: { id: string; height: number; crf: number }[] = [];
    const h = harness(async (req) => {
      const video = (req.preset as { video: { height: number; crf: number } }).video;
      asked.push({ id: req.preset.id, height: video.height, crf: video.crf });
    });
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [
        { preset: 'mp4-720p', settings: { maxHeight: 240, crf: 30 } },
        { preset: 'mp4-1080p', settings: { skipIfBelow: true } },
      ],
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    // INFO is 640x360: under 1080, so mp4-1080p is skipped; the job still completes.
    expect(asked).toEqual([{ id: 'mp4-720p', height: 240, crf: 30 }]);
    const done = (await h.repo.get(job.id))!;
    expect(done.status).toBe('completed');
    expect(done.outputs).toMatchObject([
      { name: 'mp4-720p', status: 'completed', settings: { maxHeight: 240, crf: 30 } },
      { name: 'mp4-1080p', status: 'skipped', settings: { skipIfBelow: true }, downloadPath: null },
    ]);
    expect(h.storage.committed).toEqual(['mp4-720p.mp4']);
    expect(h.storage.discarded).toEqual(['mp4-1080p.mp4']);
  });

  it('skips captions of an input without text subtitles, and makes them of one with', async () => {
    for (const subtitles of [[], [{ index: 0, codec: 'subrip', language: 'eng', title: null }]]) {
      const asked: string[] = [];
      const h = harness(async (req) => {
        asked.push(req.preset.id);
      });
      h.media.info = { ...INFO, subtitles };
      const job = await h.repo.create({
        customerId: 'acme',
        input: 'file:///inputs/clip.mp4',
        outputs: [{ preset: 'mp4-360p' }, { preset: 'captions' }],
      });
      await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
      await h.handler.process(bullJob(h, job), TOKEN);

      const done = (await h.repo.get(job.id))!;
      expect(done.status).toBe('completed');
      expect(done.outputs[1]!.status).toBe(subtitles.length > 0 ? 'completed' : 'skipped');
      expect(asked).toEqual(subtitles.length > 0 ? ['mp4-360p', 'captions'] : ['mp4-360p']);
    }
  });

  it('completes a job whose every output is skipped, having encoded nothing', async () => {
    const asked: string[] = [];
    const h = harness(async (req) => {
      asked.push(req.preset.id);
    });
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-1080p', settings: { skipIfBelow: 720 } }],
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(asked).toEqual([]);
    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed', outputs: [{ status: 'skipped' }] });
    expect(statusPath(h)).toEqual(['probing', 'encoding', 'storing', 'completed']);
  });
});

describe('EncodeJobHandler with a clip', () => {
  it('asks every encode for the clip and starts none beside the probe', async () => {
    const clips: unknown[] = [];
    const h = oneDecodeHarness(
      async (req) => {
        clips.push(req.clip);
      },
      async (req) => {
        clips.push(req.clip);
      },
    );
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }, { preset: 'cmaf' }],
      clip: { startSeconds: 2, endSeconds: 5 },
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed', clip: { startSeconds: 2, endSeconds: 5 } });
    // The one-decode group (mp4-360p, hls), then cmaf alone: both read the clip.
    expect(h.media.groups).toEqual([['mp4-360p', 'hls']]);
    expect(clips).toEqual([
      { startSeconds: 2, endSeconds: 5 },
      { startSeconds: 2, endSeconds: 5 },
    ]);
    expect(h.media.firstHints).toEqual([undefined]);
  });

  it('fails a clip that starts past the end of the input at once as clip_out_of_range', async () => {
    const h = harness();
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }],
      clip: { startSeconds: 12, endSeconds: 20 },
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    const err = await h.handler.process(bullJob(h, job, 0, 3), TOKEN).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(UnrecoverableError);
    // INFO's input is 10 s long.
    expect(await h.repo.get(job.id)).toMatchObject({
      status: 'failed',
      error: { code: 'clip_out_of_range', message: 'clip.startSeconds is 12; the input is only 10 s long' },
    });
  });
});

describe('EncodeJobHandler with a loudness target', () => {
  it('asks every encode, grouped or alone, for the target and starts none beside the probe', async () => {
    const asked: unknown[] = [];
    const h = oneDecodeHarness(
      async (req) => {
        asked.push(req.loudness);
      },
      async (req) => {
        asked.push(req.loudness);
      },
    );
    const loudness = { targetLufs: -16, truePeakDb: -1.5 };
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }, { preset: 'cmaf' }],
      loudness,
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed', loudness });
    expect(h.media.groups).toEqual([['mp4-360p', 'hls']]);
    expect(asked).toEqual([loudness, loudness]);
    expect(h.media.firstHints).toEqual([undefined]);
  });

  it('starts no encode beside the probe for a single output either (its audio needs the measurement first)', async () => {
    const asked: unknown[] = [];
    const h = harness(async (req) => {
      asked.push(req.loudness);
    });
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }],
      loudness: { targetLufs: -23, truePeakDb: -2 },
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(asked).toEqual([{ targetLufs: -23, truePeakDb: -2 }]);
    expect(h.media.firstHints).toEqual([undefined]);
  });
});

describe('EncodeJobHandler with a watermark', () => {
  const mark = { corner: 'top-left' as const, widthPercent: 15, marginPercent: 3, opacity: 0.8 };

  it('fetches and probes the image in the run folder and gives it to every encode, starting none beside the probe', async () => {
    const seen: unknown[] = [];
    const h = oneDecodeHarness(
      async (req) => {
        seen.push(req.watermark);
      },
      async (req) => {
        seen.push(req.watermark);
      },
    );
    const job = await h.repo.create({
      customerId: 'acme',
      input: 'file:///inputs/clip.mp4',
      outputs: [{ preset: 'mp4-360p' }, { preset: 'thumbnails' }, { preset: 'cmaf' }],
      watermark: { image: 'https://cdn.example/logo.png', ...mark },
    });
    await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
    await h.handler.process(bullJob(h, job), TOKEN);

    expect(await h.repo.get(job.id)).toMatchObject({ status: 'completed' });
    expect(h.media.images).toHaveLength(1);
    expect(h.media.images[0]).toMatch(/kiln-input-[^/]+\/watermark\/download$/);
    const expected = {
      ...mark,
      image: 'https://cdn.example/logo.png',
      path: h.media.images[0],
      width: 200,
      height: 100,
    };
    expect(h.media.groups).toEqual([['mp4-360p', 'thumbnails']]);
    expect(seen).toEqual([expected, expected]);
    expect(h.media.firstHints).toEqual([undefined]);
  });

  it('fails the job for good as watermark_invalid when the image is refused or is no picture', async () => {
    const refused = harness();
    refused.refuse = { 'file:///etc/logo.png': new InputError('input_forbidden', 'file:// input refused') };
    const notImage = harness();
    notImage.media.imageError = new MediaProbeError('not a PNG, JPEG or WebP image (h264 found)', '/x');
    for (const [h, image, why] of [
      [refused, 'file:///etc/logo.png', 'the watermark image: file:// input refused'],
      [notImage, 'file:///inputs/logo.mp4', 'the watermark image: not a PNG, JPEG or WebP image (h264 found)'],
    ] as const) {
      const job = await h.repo.create({
        customerId: 'acme',
        input: 'file:///inputs/clip.mp4',
        outputs: [{ preset: 'mp4-360p' }],
        watermark: { image, ...mark },
      });
      await db.redis.set(encodeLockKey(h.prefix, job.id), TOKEN, 'PX', 60_000);
      const err = await h.handler.process(bullJob(h, job, 0, 3), TOKEN).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnrecoverableError);
      expect(await h.repo.get(job.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { code: 'watermark_invalid', message: why },
        outputs: [{ status: 'failed' }],
      });
    }
  });
});

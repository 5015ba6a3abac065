import { copyFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bullPrefix, ENCODE_QUEUE, getPreset, type Job } from '@kiln/jobs';
import { FfmpegMediaAdapter } from '@kiln/media';
import { countFrames, makeClip, measureSsim, streamDurations, waitFor, type AppHandle } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFfmpeg, killHard, listProcesses, type ProcessRow } from '../support/process-tree.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Log lines of a worker with `msg`, for `jobId`, parsed. */
function logLines(app: AppHandle, msg: string, jobId: string): Record<string, unknown>[] {
  return app
    .logs()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"jobId":"${jobId}"`))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
}

/** Every worker app of the stack, dead or alive. */
const workersOf = (stack: TestStack) => Object.entries(stack.apps).filter(([name]) => name.startsWith('worker'));

/** The ffmpeg processes of the stack's workers. */
async function stackFfmpegs(stack: TestStack): Promise<ProcessRow[]> {
  const pids = new Set(workersOf(stack).map(([, app]) => app.child.pid));
  return (await listProcesses()).filter((p) => isFfmpeg(p) && pids.has(p.ppid));
}

/** An ffmpeg encoding a chunk (its scratch folder is a `kiln-chunk-` one). */
const isChunkEncode = (p: ProcessRow) => isFfmpeg(p) && p.args.includes('/kiln-chunk-');

/** Whether the job's BullMQ job waits for its chunks (a flow's parent in `waiting-children`). */
async function waitingForChunks(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  const key = `${bullPrefix(prefix)}:${ENCODE_QUEUE}:waiting-children`;
  return (await redis.zscore(key, jobId)) !== null;
}

/** The job's folder in the stack's storage. */
const jobDir = (stack: TestStack, job: Job) => path.join(stack.storageDir, job.customerId, job.id);

/** Folders of chunk encodes left in the scratch folders of the stack's workers (`<tmp>/kiln-worker-<host>-<pid>`). */
async function chunkScratchLeft(stack: TestStack): Promise<string[]> {
  const pids = workersOf(stack).map(([, app]) => app.child.pid);
  const left: string[] = [];
  const ours = (n: string) => n.startsWith('kiln-worker-') && pids.some((pid) => n.endsWith(`-${pid}`));
  for (const worker of (await readdir(tmpdir())).filter(ours)) {
    const names = await readdir(path.join(tmpdir(), worker)).catch(() => [] as string[]);
    left.push(...names.filter((n) => n.startsWith('kiln-chunk-')).map((n) => path.join(worker, n)));
  }
  return left;
}

describe('chunked encoding: a long input is encoded by several worker processes and stitched', () => {
  let stack: TestStack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 3,
      env: {
        KILN_CHUNK_MIN_S: '60',
        KILN_CHUNK_SECONDS: '20',
        KILN_WORKER_STALLED_S: '3',
        KILN_PROGRESS_INTERVAL_MS: '250',
        KILN_LOG_LEVEL: 'info',
      },
    });
    redis = new Redis(stack.redisUrl);
  }, 120_000);
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);

  async function submit(clip: string, presets: string[]): Promise<string> {
    const file = path.join(stack.inputRoot, path.basename(clip));
    await copyFile(clip, file);
    const res = await api()<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(file).href,
      outputs: presets.map((preset) => ({ preset })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id;
  }

  /** Polls the job until it is final, recording every progress it showed on the way. */
  async function follow(id: string, timeoutMs: number): Promise<{ job: Job; seen: Job[] }> {
    const seen: Job[] = [];
    let job: Job | undefined;
    await waitFor(
      async () => {
        job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
        seen.push(job);
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs, intervalMs: 200, message: `job ${id} to finish` },
    );
    return { job: job!, seen };
  }

  it(
    'a 3-minute clip: every frame once, A/V in sync, no seam (SSIM against the whole encode), progress only forward',
    { timeout: 420_000 },
    async () => {
      const clip = await makeClip({ seconds: 180, width: 854, height: 480, fps: 12 });
      const id = await submit(clip, ['mp4-360p', 'hls']);
      const { job, seen } = await follow(id, 360_000);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });

      // One job: one id, one status that only moved forward, one progress that never went back.
      const percents = seen.filter((j) => j.status === 'encoding').map((j) => j.progress.percent);
      for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]!);
      expect(
        percents.some((p) => p > 0 && p < 100),
        'progress reported while the chunks ran',
      ).toBe(true);
      expect(seen.some((j) => j.progress.etaSeconds !== null && j.status === 'encoding')).toBe(true);

      // The chunks ran on more than one worker process, each chunk once.
      const cut = workersOf(stack).flatMap(([, app]) => logLines(app, 'input cut into chunks', id));
      expect(cut).toHaveLength(1);
      const chunks = cut[0]!.chunks as number;
      expect(chunks).toBeGreaterThanOrEqual(8);
      const stored = workersOf(stack).map(([, app]) => logLines(app, 'chunk stored', id).length);
      expect(stored.reduce((a, b) => a + b, 0)).toBe(chunks);
      expect(stored.filter((n) => n > 0).length, 'worker processes that stored chunks').toBeGreaterThanOrEqual(2);

      // MP4: the input's frames exactly, durations within one frame, no seam.
      const frame = 1 / 12;
      const mp4 = path.join(jobDir(stack, job), 'mp4-360p.mp4');
      expect(await countFrames(mp4)).toBe(await countFrames(clip));
      const d = await streamDurations(mp4);
      const input = await streamDurations(clip);
      expect(Math.abs(d.video - input.video)).toBeLessThanOrEqual(frame + 1e-6);
      expect(Math.abs(d.audio! - d.video)).toBeLessThanOrEqual(frame + 1e-6);
      const dir = await mkdtemp(path.join(tmpdir(), 'kiln-whole-'));
      const whole = path.join(dir, 'whole-mp4-360p.mp4');
      const media = new FfmpegMediaAdapter();
      await media.transcode({
        input: clip,
        output: whole,
        preset: getPreset('mp4-360p')!,
        media: await media.probe(clip),
      });
      const ssim = await measureSsim(mp4, whole).finally(() => rm(dir, { recursive: true, force: true }));
      expect(ssim.mean).toBeGreaterThanOrEqual(0.99);
      const boundaries = Array.from({ length: chunks - 1 }, (_, i) => (i + 1) * 20);
      const nearSeams = ssim.frames.filter((f) => boundaries.some((b) => Math.abs(f.time - b) <= 1));
      expect(nearSeams.length).toBeGreaterThan(0);
      expect(Math.min(...nearSeams.map((f) => f.ssim))).toBeGreaterThanOrEqual(0.97);

      // HLS: a ladder (480p and 360p) assembled from the chunks, every rung with every frame.
      const hls = path.join(jobDir(stack, job), 'hls');
      const master = await readFile(path.join(hls, 'master.m3u8'), 'utf8');
      expect(master.match(/#EXT-X-STREAM-INF/g)).toHaveLength(2);
      for (const rung of ['v0', 'v1'])
        expect(await countFrames(path.join(hls, rung, 'index.m3u8'))).toBe(await countFrames(clip));

      // Nothing of the chunks is left: no plan in Redis, no chunk files, no worker scratch.
      expect(await redis.exists(`${stack.prefix}:chunks:${id}`)).toBe(0);
      await expect(stat(path.join(jobDir(stack, job), '.chunks'))).rejects.toThrow();
      expect(await chunkScratchLeft(stack)).toEqual([]);
    },
  );

  it(
    'a worker SIGKILLed mid-chunk: only that chunk is encoded again, and the output is still whole',
    { timeout: 300_000 },
    async () => {
      const clip = await makeClip({ seconds: 150, width: 320, height: 240, fps: 12 });
      const id = await submit(clip, ['mp4-360p']);
      await waitFor(() => waitingForChunks(redis, stack.prefix, id), {
        timeoutMs: 60_000,
        message: 'the job to wait for its chunks',
      });
      const alive = () => workersOf(stack).filter(([, app]) => app.child.alive);
      let victim: AppHandle | undefined;
      await waitFor(
        async () => {
          const encodes = (await listProcesses()).filter(isChunkEncode);
          victim = alive().find(([, app]) => encodes.some((p) => p.ppid === app.child.pid))?.[1];
          return victim !== undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'a chunk encode to kill' },
      );
      const killed = await killHard(victim!.child.pid!);
      expect(killed.filter(isChunkEncode)).toHaveLength(1);
      await victim!.child.exited;
      await stack.addWorker();

      const { job } = await follow(id, 240_000);
      expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
      const chunks = workersOf(stack).flatMap(([, app]) => logLines(app, 'input cut into chunks', id))[0]!
        .chunks as number;
      const encodes = workersOf(stack).reduce((n, [, app]) => n + logLines(app, 'chunk encode started', id).length, 0);
      expect(encodes, `chunk encodes for ${chunks} chunks`).toBe(chunks + 1);
      expect(await countFrames(path.join(jobDir(stack, job), 'mp4-360p.mp4'))).toBe(await countFrames(clip));
    },
  );

  it('a cancel stops every chunk within 2 s and leaves no ffmpeg and no scratch', { timeout: 180_000 }, async () => {
    const clip = await makeClip({ seconds: 150, width: 426, height: 240, fps: 12 });
    const id = await submit(clip, ['mp4-360p', 'hls']);
    await waitFor(async () => (await stackFfmpegs(stack)).filter(isChunkEncode).length >= 2, {
      timeoutMs: 60_000,
      intervalMs: 50,
      message: 'chunks encoding on two workers',
    });
    const res = await api()<Job>('POST', `/v1/jobs/${id}/cancel`);
    expect(res.status).toBe(200);
    await waitFor(async () => (await stackFfmpegs(stack)).length === 0, {
      timeoutMs: 2_000,
      intervalMs: 50,
      message: 'every chunk ffmpeg to stop within 2 s of the cancel',
    });
    const job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
    expect(job.status).toBe('cancelled');
    // The job's BullMQ job ends once its chunks have (they skip); then its chunk files go.
    await waitFor(async () => (await redis.exists(`${stack.prefix}:chunks:${id}`)) === 0, {
      timeoutMs: 60_000,
      message: "the cancelled job's chunk plan to be removed",
    });
    await expect(stat(path.join(jobDir(stack, job), '.chunks'))).rejects.toThrow();
    expect(await chunkScratchLeft(stack)).toEqual([]);
    expect(await stackFfmpegs(stack)).toEqual([]);
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { countFrames, makeClip, waitFor, type AppHandle } from '@kiln/testing';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';
import { printTable, writeSection } from './results.js';

/** Length of the bench clip in seconds (KILN_BENCH_CHUNKED_SECONDS; the figure is 600). */
const CLIP_SECONDS = Number(process.env.KILN_BENCH_CHUNKED_SECONDS ?? 600);
const CHUNK_SECONDS = 20;
const PRESETS = ['mp4-720p', 'hls'];
/** Worker counts the model projects to. */
const PROJECT_TO = [4, 8, 16];

/** Fields of the worker log lines with `msg` for `jobId`. */
function logFields(apps: AppHandle[], msg: string, jobId: string): Record<string, unknown>[] {
  return apps.flatMap((app) =>
    app
      .logs()
      .split('\n')
      .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"jobId":"${jobId}"`))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>),
  );
}

const sum = (rows: Record<string, unknown>[], field: string) => rows.reduce((s, r) => s + Number(r[field] ?? 0), 0);

/** Submits the clip for every preset in one job and waits until it is done; seconds from request to `completed`. */
async function encode(stack: TestStack, input: string): Promise<{ id: string; seconds: number; job: Job }> {
  const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
  const t0 = performance.now();
  const res = await api<Job>('POST', '/v1/jobs', { input, outputs: PRESETS.map((preset) => ({ preset })) });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id;
  let job = res.body;
  await waitFor(
    async () => {
      job = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
      if (job.status === 'failed' || job.status === 'cancelled')
        throw new Error(`job ${id} ${job.status}: ${job.error?.message}`);
      return job.status === 'completed';
    },
    { timeoutMs: 4 * 3600_000, intervalMs: 500, message: `job ${id} to complete` },
  );
  return { id, seconds: (performance.now() - t0) / 1000, job };
}

/**
 * The chunked-encoding benchmark: one long 720p clip to `mp4-720p` and `hls` in one job, (a) by one
 * worker pinned to core 0 (so ffmpeg runs one thread), the whole input at once, against (b) two
 * workers pinned to cores 0 and 1, the input split into chunks both encode. Split and stitch
 * overhead come from the workers' own log lines; the projection to bigger fleets is a model
 * (split + chunk and audio work shared by the workers + stitch), not a measurement.
 */
export async function runChunkedBench(): Promise<Record<string, unknown>> {
  const clip = await makeClip({ seconds: CLIP_SECONDS, width: 1280, height: 720, fps: 25 });
  const stack = await startTestStack({
    customers: ['bench'],
    workers: 0,
    env: {
      KILN_LOG_LEVEL: 'info',
      KILN_WORKER_CONCURRENCY: '1',
      KILN_CHUNK_SECONDS: String(CHUNK_SECONDS),
      // The bench's clip must be chunkable in (b) whatever its length.
      KILN_CHUNK_MIN_S: String(Math.min(120, CLIP_SECONDS - 1)),
    },
  });
  try {
    const file = path.join(stack.inputRoot, 'chunked-bench.mp4');
    await copyFile(clip, file);
    const input = pathToFileURL(file).href;
    const frames = await countFrames(clip);

    // (a) one worker on one core, no chunks (its threshold is above the clip's length).
    const single = await stack.addWorker({ KILN_CHUNK_MIN_S: String(CLIP_SECONDS * 10) }, { cpus: '0' });
    const whole = await encode(stack, input);
    await single.app.stop();

    // (b) two workers, one core each, chunked.
    const pair = [await stack.addWorker({}, { cpus: '0' }), await stack.addWorker({}, { cpus: '1' })];
    const chunked = await encode(stack, input);
    const apps = pair.map((w) => w.app);
    const cut = logFields(apps, 'input cut into chunks', chunked.id);
    if (cut.length !== 1) throw new Error(`expected the job cut into chunks once, saw ${cut.length}`);
    const chunks = Number(cut[0]!.chunks);
    const stored = logFields(apps, 'chunk stored', chunked.id);
    const perWorker = apps.map((app) => logFields([app], 'chunk stored', chunked.id).length);
    const splitSeconds = Number(cut[0]!.splitSeconds);
    const stitchSeconds = sum(logFields(apps, 'output stitched', chunked.id), 'stitchSeconds');
    const chunkWorkSeconds = sum(stored, 'seconds');
    // The audio is encoded once, by the job's own run, while the chunks are encoded: work, not overhead.
    const audioSeconds = sum(logFields(apps, 'audio encoded', chunked.id), 'audioSeconds');

    // Both outputs are whole: the MP4's frames are the input's.
    for (const job of [whole.job, chunked.job]) {
      const mp4 = path.join(stack.storageDir, job.customerId, job.id, 'mp4-720p.mp4');
      const got = await countFrames(mp4);
      if (got !== frames) throw new Error(`job ${job.id}: ${got} frames in mp4-720p, the input has ${frames}`);
    }

    const model = (workers: number) =>
      +(splitSeconds + Math.max(audioSeconds, (chunkWorkSeconds + audioSeconds) / workers) + stitchSeconds).toFixed(1);
    const figures = {
      clip: `${CLIP_SECONDS} s 1280x720 25 fps → ${PRESETS.join(' + ')} in one job`,
      chunkSeconds: CHUNK_SECONDS,
      chunks,
      chunksPerWorker: perWorker,
      wholeOneCoreSeconds: +whole.seconds.toFixed(1),
      chunkedTwoCoresSeconds: +chunked.seconds.toFixed(1),
      ratio: +(chunked.seconds / whole.seconds).toFixed(3),
      splitSeconds: +splitSeconds.toFixed(2),
      stitchSeconds: +stitchSeconds.toFixed(2),
      chunkWorkSeconds: +chunkWorkSeconds.toFixed(1),
      audioSeconds: +audioSeconds.toFixed(1),
      projectedSecondsModel: Object.fromEntries(PROJECT_TO.map((n) => [`${n}workers`, model(n)])),
      model:
        'projected = splitSeconds + stitchSeconds + chunkWorkSeconds / workers (one core each; no queue or I/O contention)',
    };
    printTable('chunked encoding: one job, whole on 1 core vs chunked on 2 cores', [
      { run: '(a) whole, 1 worker, core 0', seconds: figures.wholeOneCoreSeconds, chunks: '-' },
      {
        run: '(b) chunked, 2 workers, cores 0+1',
        seconds: figures.chunkedTwoCoresSeconds,
        chunks: `${chunks} (${perWorker.join('+')})`,
      },
    ]);
    printTable('chunked overhead and the model (projection, not measured)', [
      {
        ratio: figures.ratio,
        split: figures.splitSeconds,
        stitch: figures.stitchSeconds,
        chunkWork: figures.chunkWorkSeconds,
        audio: figures.audioSeconds,
        ...Object.fromEntries(PROJECT_TO.map((n) => [`model ${n}w`, model(n)])),
      },
    ]);
    await writeSection('chunked', figures);
    return figures;
  } finally {
    await stack.stop();
  }
}

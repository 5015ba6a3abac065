import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  chunkJobId,
  DEFAULT_JOB_OPTIONS,
  type ChunkJobData,
  type ChunkPlanRepository,
  type Job,
  type JobProgress,
  type JobRepository,
  type StoredChunkPlan,
} from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { MediaInfo, TranscodeResult } from '@kiln/media';
import type { JobAnnouncer } from '@kiln/realtime';
import type { ChunkStore } from '@kiln/storage';
import type { Queue } from 'bullmq';
import { presetsOf } from './chunk-job.handler.js';
import { audioFileName, chunkFileName, SOURCE_FILE, type ChunkMedia, type ChunkPlan } from './chunk-plan.js';
import { ChunkProgress } from './chunk-progress.js';
import type { EncodeRun, PlannedOutput } from './encode-run.js';

/** What a {@link ChunkedEncode} works with. */
export interface ChunkedEncodeDeps {
  repo: Pick<JobRepository, 'advanceProgress'>;
  plans: ChunkPlanRepository;
  store: ChunkStore;
  media: ChunkMedia;
  /** The chunk queue: each chunk is a BullMQ child of its job's encode job. */
  queue: Pick<Queue<ChunkJobData>, 'addBulk'>;
  announcer: Pick<JobAnnouncer, 'announce'>;
  /** Inputs at most this long are encoded whole (KILN_CHUNK_MIN_S). */
  minSeconds: number;
  /** The length chunks are cut to, about (KILN_CHUNK_SECONDS). */
  chunkSeconds: number;
  threads: number;
  progressIntervalMs: number;
  logger: Logger;
}

/** A job split into chunks by this run: its plan, and where the job's own outputs report progress. */
export interface Split {
  planId: string;
  plan: ChunkPlan;
  createdAtMs: number;
  /** The outputs made from the chunks (the rest the job's run encodes whole). */
  chunked: PlannedOutput[];
}

/** Where a stitch stands: every chunk stored, chunks to run again, or a whole encode instead. */
export type StitchState =
  | { kind: 'ready'; plan: ChunkPlan; stored: StoredChunkPlan }
  | { kind: 'rerun'; plan: ChunkPlan; missing: number[] }
  | { kind: 'whole'; plan: ChunkPlan | null; reason: string };

/**
 * The least picture a chunk carries (pixels × frames of the input): a chunk costs about a
 * worker-second of its own (a BullMQ job, an ffmpeg start, its files stored and fetched), which
 * must stay small beside its share of the encode. 25 M is a second of 720p30 or 27 s of 320x240 at
 * 12 fps; a 30-minute 128x72 input cut at 20 s made 90 chunks and took 83 s where one encode took 6.
 */
const MIN_CHUNK_PIXEL_FRAMES = 25e6;

/**
 * The length this input's chunks are cut to: `chunkSeconds` (KILN_CHUNK_SECONDS), or longer for a
 * small or slow picture, so every chunk carries at least {@link MIN_CHUNK_PIXEL_FRAMES}.
 */
export function chunkSecondsFor(info: MediaInfo, chunkSeconds: number): number {
  const v = info.video;
  const pixelRate = v ? v.width * v.height * (v.fps ?? 25) : 0;
  return pixelRate > 0 ? Math.max(chunkSeconds, MIN_CHUNK_PIXEL_FRAMES / pixelRate) : chunkSeconds;
}

/** A chunk's BullMQ attempts: each is retried alone, with backoff. */
const CHUNK_ATTEMPTS = 3;
/** Times a stitch sends chunks that never arrived (their worker died too often) out again. */
const MAX_RERUNS = 2;

/**
 * Split-and-stitch for long inputs, the job's own run's side of it. `split`: the input's frames
 * are cut into chunks, the input is stored where every worker can read it, one BullMQ child per
 * chunk is added to the job's encode job (a flow), and the audio is encoded once, by this run,
 * while other workers encode the chunks. The job's run
 * then waits for its children without holding a worker; BullMQ runs it again once they are all
 * done, and `stitch` joins each output from its chunks and the audio, without encoding again.
 */
export class ChunkedEncode {
  constructor(private readonly deps: ChunkedEncodeDeps) {}

  /**
   * The outputs of a job to encode in chunks: none when the input is short, has no video, or would
   * not make two chunks of {@link chunkSecondsFor} (a long input of a tiny picture).
   */
  chunkable(planned: readonly PlannedOutput[], info: MediaInfo): PlannedOutput[] {
    if (!info.video || !(info.durationSeconds > this.deps.minSeconds)) return [];
    // planChunks folds a last chunk shorter than half into the one before.
    if (info.durationSeconds < 1.5 * chunkSecondsFor(info, this.deps.chunkSeconds)) return [];
    return planned.filter((p) => this.deps.media.isChunkable(p.preset));
  }

  /**
   * Plans the chunks (or resumes the job's plan made for the same input and outputs, with the
   * chunks already stored) and sends them out. Null when the input cannot be cut (then the job
   * is encoded whole, as before).
   */
  async split(
    run: EncodeRun,
    input: string,
    info: MediaInfo,
    chunked: PlannedOutput[],
    whole: number,
  ): Promise<Split | null> {
    const presets = [...new Set(chunked.map((p) => p.preset.id))];
    const fingerprint = fingerprintOf(run.job, info, presets, chunkSecondsFor(info, this.deps.chunkSeconds));
    const t0 = performance.now();
    let stored = await this.deps.plans.get(run.job.id);
    if (stored?.fingerprint !== fingerprint) {
      if (stored) await this.discard(run.job, run.log);
      const plan = await this.cut(run, input, info, chunked, whole);
      if (!plan) return null;
      // The plan is stored once the input is: a plan found in Redis always has its source.
      const planId = randomUUID();
      await this.deps.store.put(
        { customerId: run.job.customerId, jobId: run.job.id, planId, name: SOURCE_FILE },
        input,
      );
      stored = await this.deps.plans.create(run.job.id, { id: planId, fingerprint, plan: JSON.stringify(plan) });
    }
    const plan = JSON.parse(stored.plan) as ChunkPlan;
    const splitSeconds = Math.round(performance.now() - t0) / 1000;
    const done = stored.done;
    run.log.info(
      { planId: stored.id, chunks: plan.chunks.length, stored: done.size, splitSeconds },
      done.size > 0 ? 'chunked encode resumed' : 'input cut into chunks',
    );
    await this.sendOut(
      run,
      stored.id,
      plan.chunks.map((c) => c.index).filter((i) => !done.has(i)),
      0,
    );
    // The chunks are out; the audio (what a run that died left of it too) is encoded meanwhile.
    await this.storeAudio(run, stored.id, input, plan);
    return { planId: stored.id, plan, createdAtMs: stored.createdAtMs, chunked };
  }

  /** Cuts the input into chunks; null when it cannot be cut (or into one chunk only). */
  private async cut(
    run: EncodeRun,
    input: string,
    info: MediaInfo,
    chunked: PlannedOutput[],
    whole: number,
  ): Promise<ChunkPlan | null> {
    let cut: Awaited<ReturnType<ChunkMedia['plan']>>;
    try {
      cut = await this.deps.media.plan(input, info, {
        presets: chunked.map((p) => p.preset),
        chunkSeconds: chunkSecondsFor(info, this.deps.chunkSeconds),
        signal: run.watch.signal,
      });
    } catch (err) {
      if (run.watch.signal.aborted) throw err;
      run.log.warn({ err }, 'could not cut the input into chunks; encoding it whole');
      return null;
    }
    if (cut.chunks.length < 2) return null;
    const durationSeconds = cut.chunks.at(-1)!.endSeconds;
    const presets = [...new Set(chunked.map((p) => p.preset.id))];
    return { ...cut, presets, media: info, durationSeconds, units: durationSeconds * (1 + whole) };
  }

  /** The audio each bit rate of the plan needs, encoded once for the whole input (those not stored yet). */
  private async storeAudio(run: EncodeRun, planId: string, input: string, plan: ChunkPlan): Promise<void> {
    const base = { customerId: run.job.customerId, jobId: run.job.id, planId };
    for (const kbps of this.deps.media.audioBitrates(presetsOf(plan), plan.media)) {
      if (await this.deps.store.has({ ...base, name: audioFileName(kbps) })) continue;
      const t0 = performance.now();
      const output = path.join(path.dirname(input), `audio-${kbps}-${randomUUID()}.m4a`);
      await this.deps.media.encodeAudio({
        input,
        media: plan.media,
        kbps,
        videoStartSeconds: plan.videoStartSeconds,
        output,
        threads: this.deps.threads,
        signal: run.watch.signal,
      });
      await this.deps.store.put({ ...base, name: audioFileName(kbps) }, output, { move: true });
      run.log.info({ planId, kbps, audioSeconds: Math.round(performance.now() - t0) / 1000 }, 'audio encoded');
    }
  }

  /** Adds the chunks `indexes` as BullMQ children of the job's encode job (`round` > 0: sent again). */
  async sendOut(run: EncodeRun, planId: string, indexes: number[], round: number): Promise<void> {
    const { bull, job } = run;
    if (!bull.id || indexes.length === 0) return;
    const parent = { id: bull.id, queue: bull.queueQualifiedName };
    await this.deps.queue.addBulk(
      indexes.map((index) => ({
        name: 'chunk',
        data: { jobId: job.id, customerId: job.customerId, planId, index },
        opts: {
          ...DEFAULT_JOB_OPTIONS,
          attempts: CHUNK_ATTEMPTS,
          backoff: { type: 'exponential', delay: 2_000 },
          jobId: round === 0 ? chunkJobId(job.id, planId, index) : `${chunkJobId(job.id, planId, index)}.r${round}`,
          parent,
          // A chunk BullMQ fails (its workers died too often) must not keep the job waiting for ever.
          ignoreDependencyOnFailure: true,
        },
      })),
    );
    run.children = true;
  }

  /** Where the job's own whole outputs report progress while the chunks run: seconds of the input. */
  progressFor(split: Split, run: EncodeRun, index: number): (p: JobProgress) => void {
    const progress = new ChunkProgress({
      ...this.deps,
      jobId: run.job.id,
      planId: split.planId,
      plan: split.plan,
      createdAtMs: split.createdAtMs,
      watch: run.watch,
    });
    return (p) => progress.report(`output:${index}`, (p.percent / 100) * split.plan.durationSeconds);
  }

  /** What the stitch of plan `planId` can do now (`rounds`: times chunks were sent out again already). */
  async stitchState(jobId: string, planId: string, rounds: number): Promise<StitchState> {
    const stored = await this.deps.plans.get(jobId);
    if (!stored || stored.id !== planId) return { kind: 'whole', plan: null, reason: 'the chunk plan is gone' };
    const plan = JSON.parse(stored.plan) as ChunkPlan;
    if (stored.failed.size > 0) {
      const [index, error] = [...stored.failed][0]!;
      return { kind: 'whole', plan, reason: `chunk ${index} could not be made: ${error}` };
    }
    const missing = plan.chunks.map((c) => c.index).filter((i) => !stored.done.has(i));
    if (missing.length === 0) return { kind: 'ready', plan, stored };
    if (rounds < MAX_RERUNS) return { kind: 'rerun', plan, missing };
    return { kind: 'whole', plan, reason: `chunks ${missing.join(', ')} never arrived` };
  }

  /** Stitches one output from the stored chunks and audio into its scratch path. */
  async stitch(
    run: EncodeRun,
    ready: Extract<StitchState, { kind: 'ready' }>,
    planned: PlannedOutput,
    workDir: string,
  ): Promise<TranscodeResult> {
    const { plan, stored } = ready;
    const base = { customerId: run.job.customerId, jobId: run.job.id, planId: stored.id };
    const fetch = async (name: string) => {
      const file = await this.deps.store.fetch({ ...base, name }, workDir, run.watch.signal);
      if (!file) throw new Error(`a stored file of the chunked encode is missing: ${name}`);
      return file;
    };
    const files: Record<string, string[]> = {};
    for (const rendition of plan.renditions) {
      files[rendition] = [];
      for (const chunk of plan.chunks) {
        const { runId } = JSON.parse(stored.done.get(chunk.index)!) as { runId: string };
        files[rendition].push(await fetch(chunkFileName(chunk.index, runId, rendition)));
      }
    }
    const audio: Record<number, string> = {};
    for (const kbps of this.deps.media.audioBitrates([planned.preset], plan.media))
      audio[kbps] = await fetch(audioFileName(kbps));
    const t0 = performance.now();
    const result = await this.deps.media.stitch({
      preset: planned.preset,
      media: plan.media,
      chunks: plan.chunks,
      files,
      audio,
      output: planned.scratch.path,
      workDir,
      signal: run.watch.signal,
    });
    run.log.info(
      { output: planned.preset.id, stitchSeconds: Math.round(performance.now() - t0) / 1000 },
      'output stitched',
    );
    return result;
  }

  /** A local copy of the stored input (a whole encode instead of the chunks). */
  async source(run: EncodeRun, planId: string, workDir: string): Promise<string | null> {
    const base = { customerId: run.job.customerId, jobId: run.job.id, planId };
    return this.deps.store.fetch({ ...base, name: SOURCE_FILE }, workDir, run.watch.signal);
  }

  /** Removes the job's plan and every file of it (the job ended, whichever way, or is planned anew). */
  async discard(job: Pick<Job, 'id' | 'customerId'>, log: Logger): Promise<void> {
    const stored = await this.deps.plans.get(job.id);
    if (!stored) return;
    await this.deps.store.removePlan({ customerId: job.customerId, jobId: job.id, planId: stored.id });
    await this.deps.plans.remove(job.id, stored.id);
    log.info({ planId: stored.id }, 'removed the chunks of the job');
  }
}

/** What a plan is made from: a new attempt of the same job on the same input resumes it. */
function fingerprintOf(job: Job, info: MediaInfo, presets: string[], chunkSeconds: number): string {
  return createHash('sha256')
    .update(JSON.stringify([job.input, info.sizeBytes, info.durationSeconds, presets, chunkSeconds]))
    .digest('base64url');
}

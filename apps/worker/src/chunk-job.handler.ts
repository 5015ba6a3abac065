import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  chunkLockKey,
  getPreset,
  type ChunkJobData,
  type Preset,
  type ChunkPlanRepository,
  type JobRepository,
  type JobStatus,
} from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { JobAnnouncer } from '@kiln/realtime';
import type { ChunkStore } from '@kiln/storage';
import { WaitingError, type Job as BullJob } from 'bullmq';
import { kilnErrorCode } from '@kiln/errors';
import {
  chunkFileName,
  chunkRunFolder,
  SOURCE_FILE,
  type ChunkMedia,
  type ChunkOutcome,
  type ChunkPlan,
} from './chunk-plan.js';
import { ChunkProgress } from './chunk-progress.js';
import { publicError } from './classify-failure.js';
import { SlotClaim, type EncodeSlots } from './encode-slots.js';
import { InputError } from './input.errors.js';
import { RunWatch } from './run-watch.js';
import type { RunningJobs } from './running-jobs.js';
import { SlotsClosedError } from './run.errors.js';

/** What a {@link ChunkJobHandler} works with. */
export interface ChunkJobDeps {
  repo: JobRepository;
  plans: ChunkPlanRepository;
  store: ChunkStore;
  media: ChunkMedia;
  announcer: Pick<JobAnnouncer, 'announce'>;
  /** What this worker runs, for its fleet heartbeat: a job whose chunks run here is listed. */
  running: RunningJobs;
  /** The encode slots the worker's whole jobs use too: a chunk is one encode. */
  slots: EncodeSlots;
  scratchDir: string;
  redisPrefix: string;
  threads: number;
  progressIntervalMs: number;
  logger: Logger;
  /** Counts chunk runs by outcome (`stored`, `skipped`, `failed`, `stopped`). */
  onOutcome?: (outcome: ChunkOutcome) => void;
}

/** Statuses in which a job's chunks go on: its own run may be between attempts (`queued`) meanwhile. */
const CHUNK_RUNNABLE: readonly JobStatus[] = ['queued', 'probing', 'encoding'];

/** How often a chunk's run checks its job's status and its lock (a cancel whose message was lost). */
const RUN_CHECK_MS = 1000;

/**
 * Encodes one chunk of a chunked job (a BullMQ child of the job's encode job): reads the stored
 * input, encodes the chunk's time range to every rendition of the plan, stores the files and
 * commits the chunk to the plan (fenced by the chunk's BullMQ lock; the first run to commit wins).
 * A chunk whose job was cancelled, finished or re-planned is skipped. A chunk that cannot be made
 * (its frames do not match, bad data, the last attempt failed) is recorded as failed and the
 * BullMQ job completes anyway: the stitch then falls back to a whole encode instead of waiting.
 */
export class ChunkJobHandler {
  private readonly watches = new Map<string, Set<RunWatch>>();
  private handingOver = false;

  constructor(private readonly deps: ChunkJobDeps) {}

  /** Shutdown past its grace: chunks stopped from now on go back to the queue for another worker. */
  beginHandover(): void {
    this.handingOver = true;
  }

  /** Stops every chunk of `jobId` this worker runs (a cancel); true when there was one. */
  cancel(jobId: string): boolean {
    const watches = this.watches.get(jobId);
    for (const w of watches ?? []) w.end('cancelled');
    return (watches?.size ?? 0) > 0;
  }

  /** BullMQ's processor for the chunk queue. */
  async process(bull: BullJob<ChunkJobData>, token?: string, signal?: AbortSignal): Promise<ChunkOutcome> {
    const outcome = await this.run(bull, token, signal);
    this.deps.onOutcome?.(outcome);
    return outcome;
  }

  private async run(bull: BullJob<ChunkJobData>, token?: string, signal?: AbortSignal): Promise<ChunkOutcome> {
    const { jobId, planId, index } = bull.data;
    const log = this.deps.logger.child({ jobId, chunk: index });
    const job = await this.deps.repo.get(jobId);
    if (!job || !CHUNK_RUNNABLE.includes(job.status)) return skipped(log, `job is ${job?.status ?? 'gone'}`);
    const stored = await this.deps.plans.get(jobId);
    if (stored?.id !== planId) return skipped(log, 'the job was planned again');
    if (stored.done.has(index)) return skipped(log, 'chunk already stored');
    const plan = JSON.parse(stored.plan) as ChunkPlan;
    const chunk = plan.chunks[index];
    if (!chunk) return skipped(log, 'no such chunk in the plan');
    const watch = this.watch(bull, token, signal);
    const slot = new SlotClaim(this.deps.slots);
    let workDir: string | undefined;
    try {
      await slot.take(watch.signal);
      this.deps.running.start({ id: jobId, customerId: job.customerId, status: 'encoding' });
      workDir = await mkdtemp(path.join(this.deps.scratchDir, 'kiln-chunk-'));
      return await this.encode(bull, { plan, createdAtMs: stored.createdAtMs, workDir, watch, token, log });
    } catch (err) {
      return await this.failed(bull, err, { watch, log, token });
    } finally {
      if (slot.held) this.deps.running.end(jobId);
      this.unwatch(jobId, watch);
      slot.release();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Encodes, stores and commits the chunk. */
  private async encode(
    bull: BullJob<ChunkJobData>,
    ctx: {
      plan: ChunkPlan;
      createdAtMs: number;
      workDir: string;
      watch: RunWatch;
      token?: string | undefined;
      log: Logger;
    },
  ): Promise<ChunkOutcome> {
    const { jobId, customerId, planId, index } = bull.data;
    const { plan, workDir, watch, log } = ctx;
    const chunk = plan.chunks[index]!;
    const base = { customerId, jobId, planId };
    const input = await this.deps.store.fetch({ ...base, name: SOURCE_FILE }, workDir, watch.signal);
    if (!input) throw new InputError('invalid_input', 'the stored input of the chunked encode is missing');
    const runId = randomUUID();
    const outputs = Object.fromEntries(plan.renditions.map((r) => [r, path.join(workDir, `${r}.mp4`)]));
    const progress = new ChunkProgress({ ...this.deps, jobId, planId, plan, createdAtMs: ctx.createdAtMs, watch });
    const t0 = performance.now();
    log.info(
      { attempt: bull.attemptsMade + 1, startSeconds: chunk.startSeconds, frames: chunk.frames },
      'chunk encode started',
    );
    await this.deps.media.encodeChunk({
      input,
      media: plan.media,
      presets: presetsOf(plan),
      chunk,
      outputs,
      threads: this.deps.threads,
      signal: watch.signal,
      onProgress: (seconds) =>
        progress.report(`chunk:${index}`, Math.min(seconds, chunk.endSeconds - chunk.startSeconds)),
    });
    await progress.settle(`chunk:${index}`, chunk.endSeconds - chunk.startSeconds);
    for (const [rendition, file] of Object.entries(outputs))
      await this.deps.store.put({ ...base, name: chunkFileName(index, runId, rendition) }, file, { move: true });
    const lock = ctx.token ? { key: chunkLockKey(this.deps.redisPrefix, bull.id!), token: ctx.token } : undefined;
    const commit = await this.deps.plans.commit(jobId, planId, index, JSON.stringify({ runId }), lock);
    const seconds = Math.round(performance.now() - t0) / 1000;
    if (commit === 'stored') {
      log.info({ seconds }, 'chunk stored');
      return 'stored';
    }
    // Another run stored it first, the plan is gone, or this run lost its lock: its files are garbage.
    await this.deps.store.remove({ ...base, name: chunkRunFolder(index, runId) });
    log.warn({ commit, seconds }, 'chunk encoded but not committed');
    return commit === 'exists' ? 'skipped' : 'stopped';
  }

  /**
   * A chunk run that threw: a cancel or a lost lock stops quietly; a transient failure with
   * attempts left goes back to BullMQ (which retries the chunk alone); anything else is recorded
   * as the chunk's failure, so the stitch falls back to a whole encode.
   */
  private async failed(
    bull: BullJob<ChunkJobData>,
    err: unknown,
    { watch, log, token }: { watch: RunWatch; log: Logger; token: string | undefined },
  ): Promise<ChunkOutcome> {
    if (err instanceof SlotsClosedError || (this.handingOver && !watch.reason)) {
      log.warn('worker shutting down: chunk handed back to the queue');
      if (token) await bull.moveToWait(token);
      throw new WaitingError('handed back on shutdown');
    }
    if (watch.reason || watch.signal.aborted) {
      log.info({ reason: watch.reason ?? 'stopped' }, 'chunk stopped');
      return 'stopped';
    }
    const last = bull.attemptsMade + 1 >= (bull.opts.attempts ?? 1);
    const recordable = last || err instanceof InputError || kilnErrorCode(err) === 'chunk_frame_mismatch';
    if (!recordable) {
      log.warn({ err, attempt: bull.attemptsMade + 1 }, 'chunk attempt failed; will retry');
      throw err;
    }
    const { jobId, planId, index } = bull.data;
    await this.deps.plans.fail(jobId, planId, index, JSON.stringify(publicError(err)));
    log.warn({ err }, 'chunk failed; the job falls back to a whole encode');
    return 'failed';
  }

  /** A watch on the chunk's run: the job's status and the chunk's BullMQ lock, once a second. */
  private watch(bull: BullJob<ChunkJobData>, token: string | undefined, signal?: AbortSignal): RunWatch {
    const { jobId } = bull.data;
    const lockKey = chunkLockKey(this.deps.redisPrefix, bull.id!);
    const watch = new RunWatch({
      read: async () => {
        const [state, holder] = await Promise.all([
          this.deps.repo.runState(jobId, ''),
          token ? this.deps.plans.lockHolder(lockKey) : Promise.resolve(undefined),
        ]);
        return { status: state.status, holdsLock: !token || holder === token };
      },
      runnable: (status) => CHUNK_RUNNABLE.includes(status),
      intervalMs: RUN_CHECK_MS,
      upstream: signal,
    }).start();
    let set = this.watches.get(jobId);
    if (!set) this.watches.set(jobId, (set = new Set()));
    set.add(watch);
    return watch;
  }

  private unwatch(jobId: string, watch: RunWatch): void {
    watch.close();
    const set = this.watches.get(jobId);
    set?.delete(watch);
    if (set?.size === 0) this.watches.delete(jobId);
  }
}

function skipped(log: Logger, why: string): ChunkOutcome {
  log.info({ why }, 'chunk skipped');
  return 'skipped';
}

/** The presets of a plan's chunked outputs (the chunk encode needs their settings). */
export function presetsOf(plan: Pick<ChunkPlan, 'presets'>): Preset[] {
  return plan.presets.map((id) => getPreset(id)).filter((p): p is Preset => p !== undefined);
}

import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import {
  ACTIVE_STATUSES,
  applyOutputSettings,
  EMPTY_PROGRESS,
  eventForStatus,
  getPreset,
  isDirectoryPreset,
  JOB_EVENTS,
  resetOutputs,
  outputFileName,
  skipsInput,
  type EncodeJobData,
  type Job,
  type JobOutput,
  type JobPatch,
  type JobProgress,
  type JobRepository,
  type JobStatus,
  type UpdateResult,
} from '@kiln/jobs';
import type { WebhookEmitter, WebhookEventType } from '@kiln/customer-webhooks';
import type { Logger } from '@kiln/logger';
import {
  MediaProbeError,
  TranscodeBudgetExceededError,
  TranscodeCancelledError,
  TranscodeError,
  TranscodeStalledError,
  type FirstEncode,
  type MediaAdapter,
  type MediaInfo,
  type MediaSource,
  type SourceEncode,
  type TranscodeProgress,
  type TranscodeResult,
} from '@kiln/media';
import type { JobAnnouncer } from '@kiln/realtime';
import type { OutputStorage } from '@kiln/storage';
import { UnrecoverableError, WaitingChildrenError, WaitingError, type Job as BullJob } from 'bullmq';
import { classifyFailure, failurePatch, type FailureOutcome } from './classify-failure.js';
import { SlotClaim, type EncodeSlots } from './encode-slots.js';
import { InputError } from './input.errors.js';
import { inputProbeOf } from './input-probe.js';
import type { InputResolver } from './input-resolver.js';
import { ProgressReporter } from './progress-reporter.js';
import { JobGoneError, LOCK_LOST_REASON, LockLostError, SlotsClosedError } from './run.errors.js';
import { RunWatch } from './run-watch.js';
import type { RunningJobs } from './running-jobs.js';
import { AttemptHold, type EncodeRun, type PlannedOutput } from './encode-run.js';
import type { ChunkedEncode, Split, StitchState } from './chunked-encode.js';
import { checkClip, checkStreams, completedOutput, oneDecodeGroups, overall, replaceAt } from './job-outputs.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** What an {@link EncodeJobHandler} works with: the job store, the media toolkit, storage and the worker's limits. */
export interface EncodeJobDeps {
  repo: JobRepository;
  announcer: Pick<JobAnnouncer, 'announce' | 'announceFinal'>;
  /** The media toolkit; the handler opens each input once and encodes every output from it. */
  media: Pick<MediaAdapter, 'open' | 'probeImage'>;
  /** Local disk or an S3 bucket; ffmpeg always writes to a local scratch output first. */
  storage: Pick<OutputStorage, 'scratch' | 'clearTemps'>;
  inputs: Pick<InputResolver, 'resolve'>;
  /** At most this many encodes at once; jobs BullMQ hands over beyond them prepare, then wait. */
  slots: EncodeSlots;
  /** This process's scratch folder: downloaded inputs go in job folders under it. */
  scratchDir: string;
  metrics: WorkerMetrics;
  /** What this worker runs now, for its fleet heartbeat. */
  running: RunningJobs;
  logger: Logger;
  progressIntervalMs: number;
  /** ffmpeg threads per encode: cores divided by the worker's concurrency. */
  threads: number;
  /** Customer webhooks: `output.completed`, `job.completed` and `job.failed` are emitted here. */
  webhooks?: Pick<WebhookEmitter, 'emit'>;
  /** Split-and-stitch for long inputs; without it every job is encoded whole. */
  chunking?: ChunkedEncode;
  /**
   * Encode a job's outputs with one ffmpeg that decodes the input once, where two or more need
   * its video (KILN_ONE_DECODE); without it each output has an ffmpeg of its own.
   */
  oneDecode?: boolean;
}

const RUNNABLE: readonly JobStatus[] = ['queued', ...ACTIVE_STATUSES];

/** How often a run checks its job's status and lock (a cancel whose message was lost stops within this). */
const RUN_CHECK_MS = 1000;

/** Where a chunked job's encode stands when its run waits for its chunks: the plan, and times chunks were sent out again. */
type ChunkWait = NonNullable<EncodeJobData['chunked']> & { rounds: number };

type AttemptResult =
  { ok: true; job: Job } | { ok: true; waitFor: ChunkWait } | { ok: false; err: unknown; outputs: JobOutput[] };

/** How an output's encode reports progress: to the job as usual, only ever forward, or to a chunked job's plan. */
type ProgressSink = 'store' | 'advance' | ((p: TranscodeProgress) => void);

/**
 * Runs one encode job in small steps: prepare (record, slot, input, probe), encode and store each
 * output, finish. The job's status only moves forward (`queued → probing → encoding → storing →
 * completed`); each output's own status says which one is being made. A failure is sorted by
 * {@link classifyFailure}: handed back on shutdown, stopped (cancel, lost lock), retried, or final.
 */
export class EncodeJobHandler {
  private handingOver = false;

  constructor(private readonly deps: EncodeJobDeps) {}

  /**
   * Shutdown past its grace: jobs whose ffmpeg is killed from now on go back to the queue for
   * another worker instead of being recorded as cancelled.
   */
  beginHandover(): void {
    this.handingOver = true;
  }

  /** BullMQ's processor: one run of the job `bull` names, with its lock `token` and abort `signal`. */
  async process(bull: BullJob<EncodeJobData>, token?: string, signal?: AbortSignal): Promise<void> {
    const job = await this.deps.repo.get(bull.data.jobId);
    if (!job || !RUNNABLE.includes(job.status)) return this.skip(bull, job);
    const run = this.startRun(bull, job, token, signal);
    this.deps.running.start(job);
    try {
      const chunked = bull.data.chunked;
      const result = chunked ? await this.stitchAttempt(run, { rounds: 0, ...chunked }) : await this.attempt(run);
      if (result.ok && 'waitFor' in result) return await this.awaitChunks(run, result.waitFor, signal);
      if (result.ok) return await this.completed(run, result.job);
      await this.failed(run, result.err, result.outputs);
      // Stopped (a cancel) with chunks sent out: BullMQ runs the job again once they are done
      // (their runs skip), and that run removes them; when none is left to wait for, now.
      if (run.children && !(await this.awaitChildren(run))) await this.discardChunks(run.job, run.log);
    } finally {
      this.deps.running.end(job.id);
    }
  }

  /**
   * The job's chunks are out: its BullMQ job waits for them (a flow's parent), holding no worker,
   * and BullMQ runs it again to stitch once every chunk is done; if they already are, now.
   */
  private async awaitChunks(run: EncodeRun, wait: ChunkWait, signal?: AbortSignal): Promise<void> {
    await run.bull.updateData({ ...run.bull.data, chunked: wait });
    if (await this.awaitChildren(run)) return;
    run.log.info({ planId: wait.planId }, 'every chunk is done already; stitching now');
    return this.process(run.bull, run.token, signal);
  }

  /** Moves the job's BullMQ job to wait for its children (throwing what tells BullMQ so); false when none is left. */
  private async awaitChildren(run: EncodeRun): Promise<boolean> {
    if (!run.token) return false;
    if (!(await run.bull.moveToWaitingChildren(run.token))) return false;
    run.log.info('waiting for the chunks');
    throw new WaitingChildrenError();
  }

  /**
   * A job that is gone or no longer runnable. A worker killed after storing the final state but
   * before publishing it leaves the job to BullMQ, which hands it here: announce that state again
   * (clients drop repeats by seq).
   */
  private async skip(bull: BullJob<EncodeJobData>, job: Job | null): Promise<void> {
    this.deps.logger
      .child({ jobId: bull.data.jobId })
      .info({ status: job?.status }, 'job is no longer runnable; skipped');
    if (!job) return;
    await this.discardChunks(job, this.deps.logger.child({ jobId: job.id }));
    // Its webhook too: the same event makes the same deliveries, so one already queued is not made twice.
    if (job.status === 'completed' || job.status === 'failed')
      await this.emitWebhook(`job.${job.status}`, job, this.deps.logger.child({ jobId: job.id }));
    await this.deps.announcer.announceFinal(job, eventForStatus(job.status));
  }

  /** Every step of one attempt; whatever happens, everything it held is let go before it returns. */
  private async attempt(run: EncodeRun): Promise<AttemptResult> {
    const hold = new AttemptHold(new SlotClaim(this.deps.slots), resetOutputs(run.job.outputs));
    try {
      const source = await this.prepare(run, hold);
      const split = await this.split(run, hold, source);
      const whole = split ? hold.plan.filter((p) => !split.chunked.includes(p)) : hold.plan;
      const sink = (p: PlannedOutput): ProgressSink =>
        split ? this.deps.chunking!.progressFor(split, run, p.index) : 'store';
      const batches = this.deps.oneDecode ? oneDecodeGroups(whole) : whole.map((p) => [p]);
      // The job's percent counts skipped outputs and those of earlier batches as done, whatever their places in the job.
      let done = split ? 0 : run.job.outputs.length - hold.plan.length;
      for (const group of batches) {
        const last = !split && group === batches.at(-1);
        const before = done;
        hold.outputs =
          group.length === 1
            ? await this.makeOutput(run, group[0]!, hold.outputs, {
                last,
                encode: () => this.encode(run, source, group[0]!, sink(group[0]!), before),
              })
            : await this.makeGroup(run, source, group, hold, { last, sink, before });
        done += group.length;
      }
      if (split) return { ok: true, waitFor: { planId: split.planId, rounds: 0 } };
      // Every output skipped: nothing to encode or store.
      if (hold.plan.length === 0) await this.transition(run, { status: 'storing' }, ['encoding']);
      return { ok: true, job: await this.finish(run) };
    } catch (err) {
      return { ok: false, err, outputs: hold.outputs };
    } finally {
      run.watch.close();
      await hold.close();
    }
  }

  /**
   * Record, slot, input, probe. With a free encode slot the job is probing from the start and the
   * first output's encode may begin beside the probe; without one (a prefetched job) it stays
   * queued while its input is fetched and probed, then waits for a slot.
   */
  private async prepare(run: EncodeRun, hold: AttemptHold): Promise<MediaSource> {
    if (hold.slot.tryTake()) await this.begin(run);
    hold.workDir = await mkdtemp(path.join(this.deps.scratchDir, 'kiln-input-'));
    const { job } = run;
    const input = await this.deps.inputs.resolve(job.input, {
      customerId: job.customerId,
      jobId: job.id,
      workDir: hold.workDir,
      signal: run.watch.signal,
    });
    hold.input = input.path;
    await this.fetchWatermark(run, hold.workDir);
    hold.plan = await this.plan(run);
    // The first output's ffmpeg may start beside the probe, unless it will be part of a one-decode
    // command or needs the probe's result (a clip's range, the loudness measured, the watermark placed).
    const alone =
      (!this.deps.oneDecode || oneDecodeGroups(hold.plan)[0]?.length === 1) &&
      !run.job.clip &&
      !run.job.loudness &&
      !run.job.watermark;
    const first = hold.slot.held && alone && hold.plan[0] ? this.encodeRequest(run, hold.plan[0]) : undefined;
    hold.source = await this.deps.media.open(input.path, first);
    checkClip(run.job.clip, hold.source.info);
    const skipped = await this.skipOutputs(run, hold, hold.source.info);
    checkStreams(
      hold.source.info,
      hold.plan.map((p) => p.preset),
    );
    const { durationSeconds, video, audio } = hold.source.info;
    const prefetched = !hold.slot.held;
    run.log.info({ durationSeconds, video, audio: audio !== null, attempt: run.attempt, prefetched }, 'input probed');
    if (prefetched) {
      await this.waitForSlot(run, hold.slot);
      await this.begin(run);
    }
    // The probe rides on the move to encoding: no extra write, and a retry's probe replaces the last one.
    const patch = { status: 'encoding' as const, inputProbe: inputProbeOf(hold.source.info) };
    await this.transition(run, skipped ? { ...patch, outputs: hold.outputs } : patch, ['probing']);
    return hold.source;
  }

  /**
   * Fetches the job's watermark image beside its input (as an input is fetched: same rules) and
   * probes it, for the run's encodes. An image that is refused, missing or not a usable picture
   * fails the job at once (`watermark_invalid`, naming why); network trouble is retried as usual.
   */
  private async fetchWatermark(run: EncodeRun, workDir: string): Promise<void> {
    const mark = run.job.watermark;
    if (!mark) return;
    const dir = path.join(workDir, 'watermark');
    await mkdir(dir);
    try {
      const image = await this.deps.inputs.resolve(mark.image, {
        customerId: run.job.customerId,
        jobId: run.job.id,
        workDir: dir,
        signal: run.watch.signal,
      });
      const size = await this.deps.media.probeImage(image.path, run.watch.signal);
      run.watermark = { ...mark, path: image.path, ...size };
    } catch (err) {
      if (err instanceof InputError || err instanceof MediaProbeError)
        throw new InputError('watermark_invalid', `the watermark image: ${err.message}`);
      throw err;
    }
  }

  /**
   * Takes the outputs whose `skipIfBelow` the input does not reach, and `captions` of an input
   * without text subtitles, out of the attempt's plan, as `skipped` (written with the move to
   * encoding); true when there were any.
   */
  private async skipOutputs(run: EncodeRun, hold: AttemptHold, media: MediaInfo): Promise<boolean> {
    const shortSide = media.video ? Math.min(media.video.displayWidth, media.video.displayHeight) : 0;
    const noCaptions = (media.subtitles?.length ?? 0) === 0;
    const skipped = hold.plan.filter(
      (p) =>
        skipsInput(p.preset, run.job.outputs[p.index]!.settings, shortSide) ||
        (p.preset.kind === 'captions' && noCaptions),
    );
    if (skipped.length === 0) return false;
    for (const p of skipped) {
      await p.scratch.discard();
      hold.outputs = replaceAt(hold.outputs, p.index, { ...hold.outputs[p.index]!, status: 'skipped' as const });
    }
    hold.plan = hold.plan.filter((p) => !skipped.includes(p));
    run.log.info(
      { outputs: skipped.map((p) => run.job.outputs[p.index]!.name), shortSide, subtitles: !noCaptions },
      'outputs skipped: input below skipIfBelow, or captions of an input without text subtitles',
    );
    return true;
  }

  /** A scratch output for each of the job's outputs (those `only` keeps), in its run's own folder. */
  private async plan(run: EncodeRun, only: (out: JobOutput) => boolean = () => true): Promise<PlannedOutput[]> {
    const planned = await Promise.all(
      run.job.outputs.map(async (out, index) => {
        if (!only(out)) return null;
        const known = getPreset(out.preset);
        if (!known) throw new InputError('invalid_input', `unknown preset ${out.preset}`);
        const preset = applyOutputSettings(known, out.settings);
        const ref = { customerId: run.job.customerId, jobId: run.job.id, name: outputFileName(out.name, preset) };
        const scratch = await this.deps.storage.scratch(ref, {
          runId: run.runId,
          directory: isDirectoryPreset(preset),
        });
        return { index, preset, scratch };
      }),
    );
    return planned.filter((p): p is PlannedOutput => p !== null);
  }

  /** Splits the job into chunks when its input is long and an output is chunkable; null: encode it whole. */
  private async split(run: EncodeRun, hold: AttemptHold, source: MediaSource): Promise<Split | null> {
    const chunking = this.deps.chunking;
    // A clip is encoded whole: chunk plans cut the whole input. So is a job normalising its loudness
    // (its audio, encoded once for the chunks, would need the measurement carried to the stitch),
    // and one with a watermark (every chunk's worker would need the image).
    if (!chunking || !hold.input || run.job.clip || run.job.loudness || run.job.watermark) return null;
    // An output with its own settings is encoded whole: chunks are encoded by the preset as named.
    // So is HLS from an input with text subtitles: its caption tracks are written beside a whole encode.
    const captions = (source.info.subtitles?.length ?? 0) > 0;
    const chunked = chunking.chunkable(
      hold.plan.filter((p) => !run.job.outputs[p.index]!.settings && !(captions && p.preset.kind === 'hls')),
      source.info,
    );
    if (chunked.length === 0) return null;
    return chunking.split(run, hold.input, source.info, chunked, hold.plan.length - chunked.length);
  }

  /**
   * The second run of a chunked job, once its chunks are done: each chunked output is stitched
   * from them and stored, and the job completes. Chunks that never arrived are sent out again (a
   * few times); a chunk that could not be made, or a plan that is gone, makes the run encode
   * those outputs whole instead: a job never ends with a broken file.
   */
  private async stitchAttempt(run: EncodeRun, wait: ChunkWait): Promise<AttemptResult> {
    const hold = new AttemptHold(new SlotClaim(this.deps.slots), run.job.outputs);
    try {
      const chunking = this.deps.chunking;
      if (!chunking) throw new Error('this worker cannot stitch a chunked job: chunking is not set up');
      if (run.job.status !== 'encoding') await this.transition(run, { status: 'encoding', error: null });
      const state = await chunking.stitchState(run.job.id, wait.planId, wait.rounds);
      if (state.kind === 'rerun') {
        run.log.warn({ missing: state.missing }, 'chunks never arrived; sending them out again');
        await chunking.sendOut(run, wait.planId, state.missing, wait.rounds + 1);
        return { ok: true, waitFor: { ...wait, rounds: wait.rounds + 1 } };
      }
      hold.workDir = await mkdtemp(path.join(this.deps.scratchDir, 'kiln-stitch-'));
      hold.plan = await this.plan(run, (out) => out.status !== 'completed' && out.status !== 'skipped');
      if (state.kind === 'whole') await this.wholeInstead(run, hold, wait.planId, state);
      else
        for (const planned of hold.plan)
          hold.outputs = await this.makeOutput(run, planned, hold.outputs, {
            last: planned === hold.plan.at(-1),
            encode: () => chunking.stitch(run, state, planned, hold.workDir!),
          });
      return { ok: true, job: await this.finish(run) };
    } catch (err) {
      return { ok: false, err, outputs: hold.outputs };
    } finally {
      run.watch.close();
      await hold.close();
    }
  }

  /** A chunked job's outputs encoded whole after all, from the stored input (or the job's input again). */
  private async wholeInstead(
    run: EncodeRun,
    hold: AttemptHold,
    planId: string,
    state: Extract<StitchState, { kind: 'whole' }>,
  ): Promise<void> {
    run.log.warn({ reason: state.reason }, 'the chunked encode falls back to a whole encode');
    const { job } = run;
    const ctx = { customerId: job.customerId, jobId: job.id, workDir: hold.workDir!, signal: run.watch.signal };
    const input =
      (await this.deps.chunking!.source(run, planId, hold.workDir!)) ??
      (await this.deps.inputs.resolve(job.input, ctx)).path;
    await this.waitForSlot(run, hold.slot);
    hold.source = await this.deps.media.open(input);
    const source = hold.source;
    for (const planned of hold.plan)
      hold.outputs = await this.makeOutput(run, planned, hold.outputs, {
        last: planned === hold.plan.at(-1),
        encode: () => this.encode(run, source, planned, 'advance'),
      });
  }

  /** The job is probing: this attempt's number, a clean slate of progress and outputs. */
  private async begin(run: EncodeRun): Promise<void> {
    await this.transition(run, {
      status: 'probing',
      attempts: run.attempt,
      startedAt: run.job.startedAt ?? new Date().toISOString(),
      error: null,
      progress: EMPTY_PROGRESS,
      outputs: resetOutputs(run.job.outputs),
    });
  }

  /**
   * A free encode slot for a prefetched job. A cancel while it waits stops the job; a shutdown
   * (the slots close, or the grace ran out) hands it back to the queue.
   */
  private async waitForSlot(run: EncodeRun, slot: SlotClaim): Promise<void> {
    try {
      await slot.take(run.watch.signal);
    } catch (err) {
      if (err instanceof SlotsClosedError || this.handingOver) throw new SlotsClosedError('worker is shutting down');
      if (run.watch.signal.aborted) throw new JobGoneError('cancelled while waiting for an encode slot');
      throw err;
    }
  }

  /**
   * Encodes one output and stores it. The job stays `encoding` until the last output's encode is
   * done, then is `storing` while that one is put in place; the output's own status goes
   * `encoding` → `completed`. Returns the job's outputs with this one completed.
   */
  private async makeOutput(
    run: EncodeRun,
    planned: PlannedOutput,
    outputs: JobOutput[],
    how: { last: boolean; encode: () => Promise<TranscodeResult> },
  ): Promise<JobOutput[]> {
    const { last } = how;
    const encoding = replaceAt(outputs, planned.index, { ...outputs[planned.index]!, status: 'encoding' as const });
    await this.transition(run, { outputs: encoding }, ['encoding']);
    const result = await how.encode();
    if (last) await this.transition(run, { status: 'storing' }, ['encoding']);
    return this.storeOutput(run, planned, encoding, result, last);
  }

  /**
   * Encodes several outputs with one ffmpeg from one decode (all `encoding` at once, with the same
   * progress), then stores them one after another as {@link makeOutput} does. When that ffmpeg
   * fails (not a cancel, stall or budget), each output is encoded again by itself, so an output
   * whose encoder fails fails alone: the others are still made and stored. `hold.outputs` follows
   * every output stored, so a failure keeps them.
   */
  private async makeGroup(
    run: EncodeRun,
    source: MediaSource,
    group: readonly PlannedOutput[],
    hold: AttemptHold,
    how: { last: boolean; sink: (p: PlannedOutput) => ProgressSink; before: number },
  ): Promise<JobOutput[]> {
    let current = hold.outputs;
    for (const p of group) current = replaceAt(current, p.index, { ...current[p.index]!, status: 'encoding' as const });
    await this.transition(run, { outputs: current }, ['encoding']);
    let results: TranscodeResult[];
    try {
      results = await this.encodeGroup(run, source, group, how.sink, how.before);
    } catch (err) {
      if (!groupFailed(err) || run.watch.signal.aborted) throw err;
      run.log.warn({ err, outputs: group.length }, 'the one-decode encode failed; encoding its outputs one by one');
      return this.makeEach(run, source, group, hold, how);
    }
    if (how.last) await this.transition(run, { status: 'storing' }, ['encoding']);
    for (const [i, planned] of group.entries())
      hold.outputs = await this.storeOutput(run, planned, hold.outputs, results[i]!, how.last);
    return hold.outputs;
  }

  /** Each output of a failed one-decode encode by itself; one that fails again fails the attempt once the rest are stored. */
  private async makeEach(
    run: EncodeRun,
    source: MediaSource,
    group: readonly PlannedOutput[],
    hold: AttemptHold,
    how: { last: boolean; sink: (p: PlannedOutput) => ProgressSink; before: number },
  ): Promise<JobOutput[]> {
    let failure: unknown;
    for (const [i, planned] of group.entries()) {
      try {
        hold.outputs = await this.makeOutput(run, planned, hold.outputs, {
          last: how.last && planned === group.at(-1) && failure === undefined,
          encode: () => this.encode(run, source, planned, how.sink(planned), how.before + i),
        });
      } catch (err) {
        if (!groupFailed(err) || run.watch.signal.aborted) throw err;
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
    return hold.outputs;
  }

  /** Stores an encoded output and records it completed (the job `storing` when `last`); emits `output.completed`. */
  private async storeOutput(
    run: EncodeRun,
    planned: PlannedOutput,
    outputs: JobOutput[],
    result: TranscodeResult,
    last: boolean,
  ): Promise<JobOutput[]> {
    const { index, preset, scratch } = planned;
    // Checksums are taken while storing (one read); a directory output has one per file, not one overall.
    const stored = await scratch.commit(() => this.assertOwner(run));
    const done = replaceAt(outputs, index, completedOutput(outputs[index]!, preset, result, stored));
    const job = await this.transition(run, { outputs: done }, [last ? 'storing' : 'encoding']);
    await this.emitWebhook('output.completed', job, run.log, job.outputs[index]);
    return done;
  }

  /**
   * Runs one output's encode, writing its progress as it goes: mapped onto the whole job (`store`),
   * the same but never backwards (`advance`: a chunked job encoded whole after all), or handed to
   * a chunked job's plan (the output's own progress).
   */
  private async encode(
    run: EncodeRun,
    source: MediaSource,
    planned: PlannedOutput,
    sink: ProgressSink,
    before = planned.index,
  ): Promise<TranscodeResult> {
    const count = run.job.outputs.length;
    const t0 = performance.now();
    const result = await this.reporting(run, [{ sink, toJob: (p) => overall(p, before, count) }], (onProgress) =>
      source.transcode({ ...this.encodeRequest(run, planned), onProgress }),
    );
    this.deps.metrics.encodeSeconds.observe({ preset: planned.preset.id }, (performance.now() - t0) / 1000);
    return result;
  }

  /**
   * The one-decode encode of `group`: every output advances with the command's progress, so the
   * job's percent counts each of them at that percent (outputs done before count in full). Each
   * preset's encode time is the command's, shared out evenly.
   */
  private async encodeGroup(
    run: EncodeRun,
    source: MediaSource,
    group: readonly PlannedOutput[],
    sinkOf: (p: PlannedOutput) => ProgressSink,
    before: number,
  ): Promise<TranscodeResult[]> {
    const count = run.job.outputs.length;
    const t0 = performance.now();
    // Stored progress is the job's: one writer for the whole group. A chunked job's plan takes each output's.
    const sinks = [...new Set(group.map(sinkOf))];
    const results = await this.reporting(
      run,
      sinks.map((sink) => ({ sink, toJob: (p) => overall(p, before, count, group.length) })),
      (onProgress) =>
        source.transcodeGroup({
          outputs: group.map((p) => ({ preset: p.preset, output: p.scratch.path })),
          ...this.edits(run),
          threads: this.deps.threads,
          signal: run.watch.signal,
          onProgress,
        }),
    );
    const seconds = (performance.now() - t0) / 1000 / group.length;
    for (const p of group) this.deps.metrics.encodeSeconds.observe({ preset: p.preset.id }, seconds);
    return results;
  }

  /**
   * Runs `work`, handing each progress block it reports to every sink: to the job store (mapped
   * onto the job by `toJob`, at most once per interval) or to a chunked job's plan as it is.
   */
  private async reporting<T>(
    run: EncodeRun,
    sinks: { sink: ProgressSink; toJob: (p: TranscodeProgress) => JobProgress }[],
    work: (onProgress: (p: TranscodeProgress) => void) => Promise<T>,
  ): Promise<T> {
    const reporters = sinks.map(({ sink, toJob }) => {
      const reporter = new ProgressReporter(async (progress: TranscodeProgress) => {
        if (typeof sink === 'function') return sink(progress);
        const job = toJob(progress);
        const res =
          sink === 'advance'
            ? await this.deps.repo.advanceProgress(run.job.id, job, ['encoding'])
            : await this.deps.repo.update(run.job.id, { progress: job }, ['encoding'], run.token);
        if (res.ok) void this.deps.announcer.announce(res.job, JOB_EVENTS.progress, true);
        // A refused progress write stops the run at once: the job was cancelled, or another run owns it.
        else if (res.reason !== 'behind') run.watch.end(res.reason === 'fenced' ? 'lock_lost' : 'cancelled');
      }, this.deps.progressIntervalMs);
      return { reporter, toJob };
    });
    try {
      return await work((p) => {
        this.deps.running.progress(run.job.id, reporters[0]!.toJob(p));
        for (const r of reporters) r.reporter.report(p);
      });
    } finally {
      await Promise.all(reporters.map((r) => r.reporter.flush()));
    }
  }

  private encodeRequest(run: EncodeRun, planned: PlannedOutput): FirstEncode {
    return {
      output: planned.scratch.path,
      preset: planned.preset,
      threads: this.deps.threads,
      signal: run.watch.signal,
      ...this.edits(run),
    };
  }

  /** What every encode of the run applies to the input: the job's clip, loudness target and watermark. */
  private edits(run: EncodeRun): Pick<SourceEncode, 'clip' | 'loudness' | 'watermark'> {
    return { clip: run.job.clip, loudness: run.job.loudness, watermark: run.watermark };
  }

  /** Every output is stored: the job is completed, once the scratch files of earlier runs are gone. */
  private async finish(run: EncodeRun): Promise<Job> {
    await this.clearOtherRuns(run);
    run.watch.close();
    const done = await this.deps.repo.update(
      run.job.id,
      {
        status: 'completed',
        progress: { percent: 100, fps: null, speed: null, etaSeconds: 0 },
        finishedAt: new Date().toISOString(),
      },
      ['storing'],
      run.token,
    );
    if (!done.ok) throw this.refusal(run, done);
    await this.discardChunks(done.job, run.log);
    return done.job;
  }

  /** Removes a chunked job's plan and files once it ended; a failure is logged (they expire with the plan). */
  private async discardChunks(job: Job, log: Logger): Promise<void> {
    await this.deps.chunking
      ?.discard(job, log)
      .catch((err: unknown) => log.warn({ err }, 'could not remove the chunks of the job'));
  }

  private async completed(run: EncodeRun, job: Job): Promise<void> {
    this.deps.metrics.jobs.inc({ status: 'completed' });
    this.deps.running.finished(job.id, 'completed');
    const outputs = job.outputs.map((o) => ({ name: o.name, sizeBytes: o.sizeBytes }));
    run.log.info({ attempt: run.attempt, outputs }, 'job completed');
    await this.emitWebhook('job.completed', job, run.log);
    await this.deps.announcer.announceFinal(job, JOB_EVENTS.completed);
  }

  /** Acts on a failed attempt as {@link classifyFailure} decides; throws what BullMQ should see. */
  private async failed(run: EncodeRun, err: unknown, outputs: JobOutput[]): Promise<void> {
    const { attempt, maxAttempts } = run;
    const lockLost = run.watch.reason === 'lock_lost' || run.watch.signal.reason === LOCK_LOST_REASON;
    const outcome = classifyFailure(err, { attempt, maxAttempts, handingOver: this.handingOver, lockLost });
    switch (outcome.kind) {
      case 'stopped':
        return this.stopped(run, err, outcome.reason);
      case 'handover':
        return this.handOver(run);
      default:
        return this.record(run, err, outcome, outputs);
    }
  }

  private stopped(run: EncodeRun, err: unknown, reason: 'cancelled' | 'lock_lost'): void {
    const message = err instanceof Error ? err.message : String(err);
    if (reason === 'cancelled') {
      run.log.info({ reason: message }, 'job stopped');
      this.deps.metrics.jobs.inc({ status: 'cancelled' });
      return;
    }
    // Another run may own the job now: writing anything (failed, queued) would overwrite it.
    run.log.warn(
      { reason: message },
      'run lost its lock on the job (Redis unreachable past KILN_WORKER_STALLED_S); stopped without writing',
    );
    this.deps.metrics.jobs.inc({ status: 'lock_lost' });
    throw err instanceof LockLostError ? err : new LockLostError('the run lost its lock on the job', { cause: err });
  }

  /** Shutdown: the job goes back to the queue, queued again, for another worker. */
  private async handOver(run: EncodeRun): Promise<void> {
    run.log.warn('worker shutting down: job handed back to the queue');
    const patch = { status: 'queued' as const, progress: EMPTY_PROGRESS, error: null };
    const res = await this.deps.repo.update(run.job.id, patch, RUNNABLE, run.token);
    if (res.ok) void this.deps.announcer.announce(res.job, JOB_EVENTS.progress);
    await run.bull.moveToWait(run.token);
    throw new WaitingError('handed back on shutdown');
  }

  /** Records a failed attempt: queued again with the reason for a retry, or failed for good. */
  private async record(
    run: EncodeRun,
    err: unknown,
    outcome: FailureOutcome & { kind: 'retry' | 'final' },
    outputs: JobOutput[],
  ): Promise<void> {
    const { attempt, maxAttempts } = run;
    const final = outcome.kind === 'final';
    run.log.warn({ err, attempt, maxAttempts, final }, final ? 'job failed' : 'job attempt failed; will retry');
    this.deps.metrics.jobs.inc({ status: final ? 'failed' : 'retrying' });
    const patch = failurePatch(outcome, run, outputs, new Date());
    const res = await this.deps.repo.update(run.job.id, patch, RUNNABLE, run.token);
    if (res.ok && final) this.deps.running.finished(run.job.id, 'failed');
    if (res.ok && final) await this.emitWebhook('job.failed', res.job, run.log);
    if (res.ok) await this.deps.announcer.announceFinal(res.job, final ? JOB_EVENTS.failed : JOB_EVENTS.progress);
    if (res.ok && final)
      await this.clearOtherRuns(run).catch((e: unknown) =>
        run.log.warn({ err: e }, 'could not remove scratch files of earlier runs'),
      );
    if (res.ok && final) await this.discardChunks(res.job, run.log);
    if (!res.ok && res.reason === 'fenced') run.log.warn('run lost its lock on the job while failing; nothing written');
    // Bad input fails for good even with attempts left: BullMQ must not try it again.
    throw final ? new UnrecoverableError(outcome.error.message) : err;
  }

  /**
   * BullMQ found a job whose worker stopped renewing its lock. Usually it goes back to the queue
   * for another worker; once it has stalled more often than allowed, BullMQ fails it without
   * running our code, so the job record is failed here instead of staying `encoding` forever.
   */
  async onStalled(jobId: string, bullState: () => Promise<string | undefined>): Promise<void> {
    const log = this.deps.logger.child({ jobId });
    const state = await bullState();
    if (state !== 'failed') {
      log.warn({ state }, 'job stalled (its worker died or froze); handed to another worker');
      return;
    }
    const res = await this.deps.repo.update(
      jobId,
      {
        status: 'failed',
        error: {
          code: 'worker_lost',
          message:
            'the workers running this job stopped responding too many times (crashed, killed or frozen); it was not tried again',
        },
        finishedAt: new Date().toISOString(),
      },
      RUNNABLE,
    );
    if (!res.ok) return;
    log.warn('job failed: stalled more often than allowed');
    this.deps.running.finished(jobId, 'failed');
    this.deps.metrics.jobs.inc({ status: 'failed' });
    await this.emitWebhook('job.failed', res.job, log);
    await this.deps.announcer.announceFinal(res.job, JOB_EVENTS.failed);
  }

  /**
   * Emits a customer webhook event (stored and queued before the job's final announcement and its
   * BullMQ acknowledgement). A failure to queue it is logged, never fails the encode.
   */
  private async emitWebhook(type: WebhookEventType, job: Job, log: Logger, output?: JobOutput): Promise<void> {
    try {
      await this.deps.webhooks?.emit(type, job, output);
    } catch (err) {
      log.warn({ err, event: type }, 'could not queue the webhook deliveries of an event');
    }
  }

  /**
   * A run of a job with BullMQ's lock `token` (none when called outside a BullMQ worker: then
   * nothing is fenced), watched from now on for a cancel or a lost lock; from here on the run
   * stops on its watch's signal, which includes BullMQ's (a cancel message, a lost lock, shutdown).
   */
  private startRun(bull: BullJob<EncodeJobData>, job: Job, token: string | undefined, signal?: AbortSignal): EncodeRun {
    const read = token
      ? () => this.deps.repo.runState(job.id, token)
      : async () => ({ ...(await this.deps.repo.runState(job.id, '')), holdsLock: true });
    const watch = new RunWatch({
      read,
      runnable: (status) => RUNNABLE.includes(status),
      intervalMs: RUN_CHECK_MS,
      upstream: signal,
    }).start();
    const log = this.deps.logger.child({ jobId: job.id, customerId: bull.data.customerId });
    const attempt = bull.attemptsMade + 1;
    return { bull, job, token, runId: randomUUID(), attempt, maxAttempts: bull.opts.attempts ?? 1, watch, log };
  }

  /**
   * Throws {@link LockLostError} unless the run still holds the job's lock. Checked right before
   * anything that cannot be fenced inside Redis: replacing a stored output, removing scratch files.
   */
  private async assertOwner(run: EncodeRun): Promise<void> {
    if (!run.token || (await this.deps.repo.runState(run.job.id, run.token)).holdsLock) return;
    run.watch.end('lock_lost');
    throw new LockLostError('the run lost its lock on the job before storing its output');
  }

  /**
   * Removes what earlier runs of the job left in its scratch folders (a worker SIGKILLed mid-encode,
   * a run that lost its lock). Only once this run has stored its outputs and still holds the lock:
   * no other run can store anything then, so none of their files is needed, and a new attempt
   * never deletes files another run may still be writing.
   */
  private async clearOtherRuns(run: EncodeRun): Promise<void> {
    await this.assertOwner(run);
    const cleared = await this.deps.storage.clearTemps(run.job.customerId, run.job.id, run.runId);
    if (cleared > 0) run.log.info({ cleared }, 'removed scratch files of earlier, interrupted runs');
  }

  /**
   * Stores a step and announces it; a job that was cancelled meanwhile stops the run. The
   * announcement is not waited for: the publisher keeps each job's events in order, and a slow or
   * failing Pusher must not slow the encode (the job store is the truth clients re-sync from).
   */
  private async transition(run: EncodeRun, patch: JobPatch, onlyFrom: readonly JobStatus[] = RUNNABLE): Promise<Job> {
    const res = await this.deps.repo.update(run.job.id, patch, onlyFrom, run.token);
    if (!res.ok) throw this.refusal(run, res);
    if (patch.status) {
      this.deps.running.status(run.job.id, patch.status);
      run.log.debug({ status: patch.status, seq: res.job.seq }, 'job status');
    }
    void this.deps.announcer.announce(res.job, JOB_EVENTS.progress);
    return res.job;
  }

  /** Why a write of the run was refused, as the error that stops it. */
  private refusal(run: EncodeRun, res: UpdateResult & { ok: false }): Error {
    if (res.reason === 'fenced') {
      run.watch.end('lock_lost');
      return new LockLostError('the run lost its lock on the job');
    }
    return new JobGoneError(res.reason === 'status' ? `job is ${res.current}` : 'job record is missing');
  }
}

/** Whether a one-decode encode failed in ffmpeg itself (worth trying each output alone), not by a cancel, stall or budget. */
function groupFailed(err: unknown): boolean {
  return (
    err instanceof TranscodeError &&
    !(err instanceof TranscodeCancelledError) &&
    !(err instanceof TranscodeStalledError) &&
    !(err instanceof TranscodeBudgetExceededError)
  );
}

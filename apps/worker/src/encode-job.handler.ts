import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ACTIVE_STATUSES,
  EMPTY_PROGRESS,
  resetOutputs,
  eventForStatus,
  getPreset,
  isDirectoryPreset,
  needsAudio,
  needsVideo,
  JOB_EVENTS,
  type EncodeJobData,
  type Job,
  type JobOutput,
  type JobPatch,
  type JobProgress,
  type JobRepository,
  type JobStatus,
  type Preset,
} from '@kiln/jobs';
import { outputFileName } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import {
  MediaProbeError,
  TranscodeCancelledError,
  type EarlyTranscode,
  type MediaAdapter,
  type MediaInfo,
  type TranscodeOptions,
  type TranscodeResult,
} from '@kiln/media';
import type { JobAnnouncer } from '@kiln/realtime';
import { UnrecoverableError, WaitingError, type Job as BullJob } from 'bullmq';
import { InputCancelledError, InputError, type InputResolver } from './input-resolver.js';
import { bitrateKbps, type OutputStorage } from '@kiln/storage';
import { SlotsClosedError, type EncodeSlots } from './encode-slots.js';
import { ProgressReporter } from './progress-reporter.js';
import { LOCK_LOST_REASON, LockLostError } from './run.errors.js';
import { RunWatch } from './run-watch.js';
import type { WorkerMetrics } from './worker-metrics.js';

export interface EncodeJobDeps {
  repo: JobRepository;
  announcer: JobAnnouncer;
  media: MediaAdapter;
  /** Local disk or an S3 bucket; ffmpeg always writes to its local scratch path first. */
  storage: OutputStorage;
  inputs: InputResolver;
  /** At most this many encodes at once; jobs BullMQ hands over beyond them prepare, then wait. */
  slots: EncodeSlots;
  /** This process's scratch folder: downloaded inputs go in job folders under it. */
  scratchDir: string;
  metrics: WorkerMetrics;
  logger: Logger;
  progressIntervalMs: number;
  /** ffmpeg threads per encode: cores divided by the worker's concurrency. */
  threads: number;
}

/** The job was cancelled or removed while this worker held it: stop quietly. */
class JobGoneError extends Error {
  override name = 'JobGoneError';
}

const RUNNING: readonly JobStatus[] = ['queued', ...ACTIVE_STATUSES];

/** How often a run checks its job's status and lock (a cancel whose message was lost stops within this). */
const RUN_CHECK_MS = 1000;

/**
 * One run (attempt) of a job on this worker: BullMQ's lock token fences its writes, its scratch
 * files live in a folder of its own (`runId`), and its watch stops it when the job is cancelled
 * or the lock is lost.
 */
interface Run {
  jobId: string;
  token: string | undefined;
  runId: string;
  watch: RunWatch;
  log: Logger;
}

/**
 * Runs one encode job: resolve the input, probe it, transcode every requested output, store the
 * files, and record and announce each step. Bad input fails at once (UnrecoverableError); other
 * errors are thrown for BullMQ to retry with backoff, and the last attempt marks the job failed.
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

  async process(bull: BullJob<EncodeJobData>, token?: string, signal?: AbortSignal): Promise<void> {
    const { jobId } = bull.data;
    const log = this.deps.logger.child({ jobId, customerId: bull.data.customerId });
    const attempt = bull.attemptsMade + 1;
    const maxAttempts = bull.opts.attempts ?? 1;
    const temps: string[] = [];
    let workDir: string | undefined;
    const started = await this.deps.repo.get(jobId);
    if (!started || !RUNNING.includes(started.status)) {
      log.info({ status: started?.status }, 'job is no longer runnable; skipped');
      // A worker killed after storing the final state but before publishing it leaves the job to
      // BullMQ, which hands it here: announce that state again (clients drop repeats by seq).
      if (started) await this.deps.announcer.announceFinal(started, eventForStatus(started.status));
      return;
    }
    const run = this.startRun(jobId, token, log, signal);
    // From here on the run's own signal: BullMQ's (a cancel message, a lost lock, shutdown) or its watch's.
    signal = run.watch.signal;
    let outputs: JobOutput[] = resetOutputs(started.outputs);
    let release: (() => void) | undefined;
    let head: { temp: string; early: EarlyTranscode } | undefined;
    try {
      const begin = (): JobPatch => ({
        status: 'probing',
        attempts: attempt,
        startedAt: started.startedAt ?? new Date().toISOString(),
        error: null,
        progress: EMPTY_PROGRESS,
        outputs,
      });
      // With a free encode slot the job is probing from now on. Without one (a prefetched job),
      // it stays queued while its input is fetched and probed, then waits for a slot.
      release = this.deps.slots.tryAcquire();
      if (release) await this.transition(run, begin());
      workDir = await mkdtemp(path.join(this.deps.scratchDir, 'kiln-input-'));
      const inputPath = (
        await this.deps.inputs.resolve(started.input, { customerId: started.customerId, jobId, workDir, signal })
      ).path;
      // Holding a slot, the first output's ffmpeg starts beside ffprobe: starting either takes about
      // as long as a 10 s clip's probe, and this way the two overlap.
      if (release) head = await this.startHead(started, outputs[0], inputPath, run.runId, signal);
      if (head) temps.push(head.temp);
      const media = await this.probeInput(
        inputPath,
        outputs.map((o) => getPreset(o.preset)).filter((p) => p !== undefined),
      );
      log.info(
        {
          durationSeconds: media.durationSeconds,
          video: media.video,
          audio: media.audio !== null,
          attempt,
          prefetched: release === undefined,
        },
        'input probed',
      );
      if (!release) {
        release = await this.waitForSlot(signal);
        await this.transition(run, begin());
      }
      await this.transition(run, { status: 'encoding' });

      for (let i = 0; i < outputs.length; i++) {
        const out = outputs[i]!;
        const preset = getPreset(out.preset);
        if (!preset) throw new UnrecoverableError(`unknown preset ${out.preset}`);
        outputs = replaceAt(outputs, i, { ...out, status: 'encoding' });
        await this.transition(run, { outputs }, ['encoding']);

        const directory = isDirectoryPreset(preset);
        const ref = outputRef(started, out, preset);
        const early = i === 0 ? head : undefined;
        const temp = early?.temp ?? (await this.deps.storage.scratchPathFor(ref, run.runId));
        if (!early) temps.push(temp);
        const reporter = new ProgressReporter(async (progress) => {
          const res = await this.deps.repo.update(jobId, { progress }, ['encoding'], run.token);
          if (res.ok) void this.deps.announcer.announce(res.job, JOB_EVENTS.progress, true);
          // A refused progress write stops the run at once: the job was cancelled, or another run owns it.
          else run.watch.end(res.reason === 'fenced' ? 'lock_lost' : 'cancelled');
        }, this.deps.progressIntervalMs);
        const t0 = performance.now();
        let result: TranscodeResult;
        try {
          const request: TranscodeOptions = {
            input: inputPath,
            output: temp,
            preset,
            media,
            threads: this.deps.threads,
            ...(signal ? { signal } : {}),
            onProgress: (p) => reporter.report(overall(p, i, outputs.length)),
          };
          result = await (early ? early.early.run(request) : this.deps.media.transcode(request));
        } finally {
          await reporter.flush();
        }
        this.deps.metrics.encodeSeconds.observe({ preset: preset.id }, (performance.now() - t0) / 1000);

        await this.transition(run, { status: 'storing' }, ['encoding']);
        // Checksums are taken while storing (one read); a directory output has one per file, not one overall.
        let stored: Pick<JobOutput, 'sizeBytes' | 'durationSeconds' | 'checksum' | 'files'>;
        if (directory) {
          const files = await this.deps.storage.storeDir(temp, ref, () => this.assertOwner(run));
          stored = {
            files,
            sizeBytes: files.reduce((n, f) => n + f.sizeBytes, 0),
            durationSeconds: preset.kind === 'hls' ? result.durationSeconds : null,
            checksum: null,
          };
        } else {
          const file = await this.deps.storage.store(temp, ref, () => this.assertOwner(run));
          stored = { sizeBytes: file.sizeBytes, checksum: file.checksum, durationSeconds: result.durationSeconds };
        }
        temps.splice(temps.indexOf(temp), 1);
        const bitrate = bitrateKbps(stored.sizeBytes ?? 0, stored.durationSeconds);
        outputs = replaceAt(outputs, i, {
          ...out,
          ...stored,
          bitrateKbps: bitrate,
          status: 'completed',
          width: result.width,
          height: result.height,
        });
        const last = i === outputs.length - 1;
        await this.transition(run, last ? { outputs } : { outputs, status: 'encoding' }, ['storing']);
      }

      await this.clearOtherRuns(run, started);
      run.watch.close();
      const done = await this.deps.repo.update(
        jobId,
        {
          status: 'completed',
          progress: { percent: 100, fps: null, speed: null, etaSeconds: 0 },
          finishedAt: new Date().toISOString(),
        },
        ['storing'],
        run.token,
      );
      if (!done.ok && done.reason === 'fenced')
        throw new LockLostError('the run lost its lock before recording the job completed');
      if (!done.ok) throw new JobGoneError(`job became ${done.reason === 'status' ? done.current : 'missing'}`);
      this.deps.metrics.jobs.inc({ status: 'completed' });
      log.info({ attempt, outputs: outputs.map((o) => ({ name: o.name, sizeBytes: o.sizeBytes })) }, 'job completed');
      release();
      await this.deps.announcer.announceFinal(done.job, JOB_EVENTS.completed);
    } catch (err) {
      // An ffmpeg started early whose job ended before it ran goes first: it may hold a temp file.
      await head?.early.abandon();
      await Promise.all(temps.map((t) => this.deps.storage.discard(t)));
      release?.();
      run.watch.close();
      if (lostLock(run, err)) {
        // Another run may own the job now: writing anything (failed, queued) would overwrite it.
        log.warn(
          { reason: (err as Error).message },
          'run lost its lock on the job (Redis unreachable past KILN_WORKER_STALLED_S); stopped without writing',
        );
        this.deps.metrics.jobs.inc({ status: 'lock_lost' });
        throw err instanceof LockLostError
          ? err
          : new LockLostError('the run lost its lock on the job', { cause: err });
      }
      if (
        err instanceof SlotsClosedError ||
        ((err instanceof TranscodeCancelledError || err instanceof InputCancelledError) && this.handingOver)
      ) {
        log.warn('worker shutting down: job handed back to the queue');
        const res = await this.deps.repo.update(
          jobId,
          { status: 'queued', progress: EMPTY_PROGRESS, error: null },
          RUNNING,
          run.token,
        );
        if (res.ok) void this.deps.announcer.announce(res.job, JOB_EVENTS.progress);
        await bull.moveToWait(token);
        throw new WaitingError('handed back on shutdown');
      }
      if (err instanceof JobGoneError || err instanceof TranscodeCancelledError || err instanceof InputCancelledError) {
        log.info({ reason: (err as Error).message }, 'job stopped');
        this.deps.metrics.jobs.inc({ status: 'cancelled' });
        return;
      }
      const final = err instanceof UnrecoverableError || attempt >= maxAttempts;
      const error = describe(err);
      log.warn({ err, attempt, maxAttempts, final }, final ? 'job failed' : 'job attempt failed; will retry');
      this.deps.metrics.jobs.inc({ status: final ? 'failed' : 'retrying' });
      const patch: JobPatch = final
        ? {
            status: 'failed',
            error,
            attempts: attempt,
            finishedAt: new Date().toISOString(),
            outputs: outputs.map((o) => (o.status === 'completed' ? o : { ...o, status: 'failed' })),
          }
        : {
            status: 'queued',
            attempts: attempt,
            error: {
              code: 'retrying',
              message: `attempt ${attempt} of ${maxAttempts} failed (${error.message}); retrying`,
            },
          };
      const res = await this.deps.repo.update(jobId, patch, RUNNING, run.token);
      if (res.ok) await this.deps.announcer.announceFinal(res.job, final ? JOB_EVENTS.failed : JOB_EVENTS.progress);
      if (res.ok && final)
        await this.clearOtherRuns(run, started).catch((e: unknown) =>
          log.warn({ err: e }, 'could not remove scratch files of earlier runs'),
        );
      if (!res.ok && res.reason === 'fenced') log.warn('run lost its lock on the job while failing; nothing written');
      throw err;
    } finally {
      run.watch.close();
      release?.();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * A free encode slot for a prefetched job. A cancel while it waits stops the job; a shutdown
   * (the slots close, or the grace ran out) hands it back to the queue.
   */
  private async waitForSlot(signal: AbortSignal | undefined): Promise<() => void> {
    try {
      return await this.deps.slots.acquire(signal);
    } catch (err) {
      if (err instanceof SlotsClosedError || this.handingOver) throw new SlotsClosedError('worker is shutting down');
      if (signal?.aborted) throw new JobGoneError('cancelled while waiting for an encode slot');
      throw err;
    }
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
      RUNNING,
    );
    if (!res.ok) return;
    log.warn('job failed: stalled more often than allowed');
    this.deps.metrics.jobs.inc({ status: 'failed' });
    await this.deps.announcer.announceFinal(res.job, JOB_EVENTS.failed);
  }

  /**
   * A run of a job with BullMQ's lock `token` (none when called outside a BullMQ worker: then
   * nothing is fenced), watched from now on for a cancel or a lost lock.
   */
  private startRun(jobId: string, token: string | undefined, log: Logger, signal: AbortSignal | undefined): Run {
    const read = token
      ? () => this.deps.repo.runState(jobId, token)
      : async () => ({ ...(await this.deps.repo.runState(jobId, '')), holdsLock: true });
    const watch = new RunWatch(read, (status) => RUNNING.includes(status), RUN_CHECK_MS, signal).start();
    return { jobId, token, runId: randomUUID(), watch, log };
  }

  /**
   * Throws {@link LockLostError} unless the run still holds the job's lock. Checked right before
   * anything that cannot be fenced inside Redis: replacing a stored output, removing scratch files.
   */
  private async assertOwner(run: Run): Promise<void> {
    if (!run.token || (await this.deps.repo.runState(run.jobId, run.token)).holdsLock) return;
    run.watch.end('lock_lost');
    throw new LockLostError('the run lost its lock on the job before storing its output');
  }

  /**
   * Removes what earlier runs of the job left in its scratch folders (a worker SIGKILLed mid-encode,
   * a run that lost its lock). Only once this run has stored its outputs and still holds the lock:
   * no other run can store anything then, so none of their files is needed, and a new attempt
   * never deletes files another run may still be writing.
   */
  private async clearOtherRuns(run: Run, job: Job): Promise<void> {
    await this.assertOwner(run);
    const cleared = await this.deps.storage.clearTemps(job.customerId, job.id, run.runId);
    if (cleared > 0) run.log.info({ cleared }, 'removed scratch files of earlier, interrupted runs');
  }

  /**
   * The first output's ffmpeg, started before the probe when the media toolkit can (MP4 and WebM:
   * see `startEarlyTranscode`); undefined means it starts after the probe, as every other output does.
   */
  private async startHead(
    job: Job,
    out: JobOutput | undefined,
    inputPath: string,
    runId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ temp: string; early: EarlyTranscode } | undefined> {
    const preset = out && getPreset(out.preset);
    if (!out || !preset || !this.deps.media.startEarly) return undefined;
    const temp = await this.deps.storage.scratchPathFor(outputRef(job, out, preset), runId);
    const early = await this.deps.media.startEarly({
      input: inputPath,
      output: temp,
      preset,
      threads: this.deps.threads,
      ...(signal ? { signal } : {}),
    });
    return early ? { temp, early } : undefined;
  }

  private async probeInput(path: string, presets: Preset[]): Promise<MediaInfo> {
    let media: MediaInfo;
    try {
      media = await this.deps.media.probe(path);
    } catch (err) {
      if (err instanceof MediaProbeError)
        throw new InputError('invalid_input', `input is not a readable media file: ${err.message}`);
      throw err;
    }
    const video = presets.filter(needsVideo);
    if (!media.video && video.length > 0)
      throw new InputError(
        'no_video',
        `input has no video stream (needed by ${video.map((p) => p.id).join(', ')}); an audio-only input can use audio-aac`,
      );
    const audio = presets.filter(needsAudio);
    if (!media.audio && audio.length > 0)
      throw new InputError('no_audio', `input has no audio stream (needed by ${audio.map((p) => p.id).join(', ')})`);
    if (!(media.durationSeconds > 0)) throw new InputError('invalid_input', 'input has no measurable duration');
    return media;
  }

  /**
   * Stores a step and announces it; a job that was cancelled meanwhile stops the run. The
   * announcement is not waited for: the publisher keeps each job's events in order, and a slow or
   * failing Pusher must not slow the encode (the job store is the truth clients re-sync from).
   */
  private async transition(run: Run, patch: JobPatch, onlyFrom: readonly JobStatus[] = RUNNING): Promise<Job> {
    const res = await this.deps.repo.update(run.jobId, patch, onlyFrom, run.token);
    if (!res.ok && res.reason === 'fenced') {
      run.watch.end('lock_lost');
      throw new LockLostError('the run lost its lock on the job');
    }
    if (!res.ok) throw new JobGoneError(res.reason === 'status' ? `job is ${res.current}` : 'job record is missing');
    if (patch.status) run.log.debug({ status: patch.status, seq: res.job.seq }, 'job status');
    void this.deps.announcer.announce(res.job, JOB_EVENTS.progress);
    return res.job;
  }
}

/** Where an output is stored: a file `<name>.<ext>`, or a folder `<name>` for HLS and thumbnails. */
function outputRef(
  job: Pick<Job, 'customerId' | 'id'>,
  out: JobOutput,
  preset: Preset,
): { customerId: string; jobId: string; name: string } {
  return { customerId: job.customerId, jobId: job.id, name: outputFileName(out.name, preset) };
}

/** Whether a run ended because it lost its lock (a refused write, the watch, or BullMQ's lockRenewalFailed). */
function lostLock(run: Run, err: unknown): boolean {
  return (
    err instanceof LockLostError || run.watch.reason === 'lock_lost' || run.watch.signal.reason === LOCK_LOST_REASON
  );
}

function replaceAt<T>(list: T[], index: number, value: T): T[] {
  return list.map((v, i) => (i === index ? value : v));
}

/** Progress of one output mapped onto the whole job (outputs are encoded one after another). */
function overall(p: JobProgress, index: number, count: number): JobProgress {
  return { ...p, percent: Math.round(((index + p.percent / 100) / count) * 1000) / 10 };
}

/** A job's public error: a code and a message a customer can act on, no stack. */
function describe(err: unknown): { code: string; message: string } {
  if (err instanceof InputError) return { code: err.code, message: err.message };
  const e = err as { name?: string; message?: string; code?: unknown };
  const code =
    typeof e.code === 'string'
      ? e.code
      : e.name === 'UnrecoverableError'
        ? 'invalid_input'
        : (e.name ?? 'error')
            .replace(/Error$/, '')
            .replace(/([a-z])([A-Z])/g, '$1_$2')
            .toLowerCase() || 'error';
  return { code, message: (e.message ?? String(err)).slice(0, 1000) };
}

import { JOB_EVENTS, type ChunkPlanRepository, type JobProgress, type JobRepository } from '@kiln/jobs';
import type { JobAnnouncer } from '@kiln/realtime';
import type { ChunkPlan } from './chunk-plan.js';
import { ProgressReporter } from './progress-reporter.js';
import type { RunWatch } from './run-watch.js';
import type { RunningJobs } from './running-jobs.js';

/** A part's encoded seconds, as reported. */
interface PartSeconds {
  part: string;
  seconds: number;
}

/** What a {@link ChunkProgress} writes to. */
export interface ChunkProgressDeps {
  repo: Pick<JobRepository, 'advanceProgress'>;
  plans: Pick<ChunkPlanRepository, 'progress'>;
  announcer: Pick<JobAnnouncer, 'announce'>;
  progressIntervalMs: number;
  jobId: string;
  planId: string;
  plan: Pick<ChunkPlan, 'units'>;
  /** When the plan was made: the ETA and speed count from there. */
  createdAtMs: number;
  /** This worker's list of what it runs, for its fleet heartbeat. */
  running?: Pick<RunningJobs, 'progress'> | undefined;
  /** Stopped when the plan is no longer the job's (the job was re-planned or ended). */
  watch?: Pick<RunWatch, 'end'> | undefined;
  now?: () => number;
}

/**
 * The one overall progress of a chunked job, written by every process encoding a part of it:
 * each part's encoded seconds go to the plan (never less than before), their sum over the plan's
 * units is the job's percent, and the job's stored progress only ever moves forward (reports of
 * several workers arrive out of order). ETA and speed count from the plan's start, so they take
 * every worker encoding the job into account. Writes are throttled to one per interval.
 */
export class ChunkProgress {
  private readonly reporter: ProgressReporter<PartSeconds>;
  private readonly now: () => number;

  constructor(private readonly deps: ChunkProgressDeps) {
    this.now = deps.now ?? Date.now;
    this.reporter = new ProgressReporter<PartSeconds>((p) => this.write(p), deps.progressIntervalMs);
  }

  /** A part's newest encoded seconds; written at most once per interval. */
  report(part: string, seconds: number): void {
    this.reporter.report({ part, seconds });
  }

  /** Writes a part's final seconds now (after whatever is pending) and waits for it. */
  async settle(part: string, seconds: number): Promise<void> {
    this.reporter.cancel();
    await this.reporter.flush();
    await this.write({ part, seconds });
  }

  private async write({ part, seconds }: PartSeconds): Promise<void> {
    const { jobId, planId, plan } = this.deps;
    const sum = await this.deps.plans.progress(jobId, planId, part, seconds);
    if (sum === null) {
      this.deps.watch?.end('cancelled');
      return;
    }
    const progress = this.progressOf(sum, plan.units);
    this.deps.running?.progress(jobId, progress);
    const res = await this.deps.repo.advanceProgress(jobId, progress, ['encoding']);
    if (res.ok) void this.deps.announcer.announce(res.job, JOB_EVENTS.progress, true);
  }

  /** The job's progress for `sum` of `units` encoded seconds (below 100 until the stitch completes it). */
  private progressOf(sum: number, units: number): JobProgress {
    const elapsed = Math.max(0, (this.now() - this.deps.createdAtMs) / 1000);
    const done = Math.min(sum, units);
    const percent = Math.min(99.9, Math.floor((done / Math.max(units, 0.001)) * 1000) / 10);
    return {
      percent,
      fps: null,
      speed: elapsed > 0 && done > 0 ? Math.round((done / elapsed) * 100) / 100 : null,
      etaSeconds: done > 0 ? Math.round((elapsed * (units - done)) / done) : null,
    };
  }
}

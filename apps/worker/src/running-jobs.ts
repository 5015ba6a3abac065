import type { JobStatus } from '@kiln/jobs';
import type { FleetJob } from '@kiln/scheduler';

/** How a job this worker ran ended, for the fleet's jobs per minute. */
export type FinishedOutcome = 'completed' | 'failed';

/**
 * The jobs this worker process runs now, with their status and latest progress, kept in memory
 * for the fleet heartbeat. The encode handler tells it what happens; it never touches Redis.
 * Listeners hear of each job that finished for good (completed or failed).
 */
export class RunningJobs {
  private readonly jobs = new Map<string, FleetJob>();
  /** Runs of each job on this worker (a chunked job's chunks may run here side by side). */
  private readonly runs = new Map<string, number>();
  private readonly listeners: ((jobId: string, outcome: FinishedOutcome) => void)[] = [];

  /** A run of the job (or of a chunk of it) began on this worker. */
  start(job: { id: string; customerId: string; status: JobStatus }): void {
    this.runs.set(job.id, (this.runs.get(job.id) ?? 0) + 1);
    if (this.jobs.has(job.id)) return;
    this.jobs.set(job.id, { id: job.id, customerId: job.customerId, status: job.status, percent: 0, speed: null });
  }

  /** The job moved to another status. */
  status(jobId: string, status: JobStatus): void {
    const job = this.jobs.get(jobId);
    if (job) job.status = status;
  }

  /** ffmpeg's latest progress of the job: percent of the whole job, speed as ffmpeg reports it. */
  progress(jobId: string, progress: { percent: number; speed: number | null }): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    job.percent = progress.percent;
    job.speed = progress.speed;
  }

  /** The job finished for good on this worker; listeners are told (a listener's throw is its own). */
  finished(jobId: string, outcome: FinishedOutcome): void {
    for (const listener of this.listeners) listener(jobId, outcome);
  }

  /** A run ended, however it ended: the job is no longer listed once its last run here ended. */
  end(jobId: string): void {
    const runs = (this.runs.get(jobId) ?? 1) - 1;
    if (runs > 0) {
      this.runs.set(jobId, runs);
      return;
    }
    this.runs.delete(jobId);
    this.jobs.delete(jobId);
  }

  /** Calls `listener` for every job that finishes from now on. */
  onFinished(listener: (jobId: string, outcome: FinishedOutcome) => void): void {
    this.listeners.push(listener);
  }

  /** A copy of what runs now, in the order the runs began. */
  list(): FleetJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }
}

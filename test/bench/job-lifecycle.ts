import { JOB_EVENTS, type Job, type JobStatus } from '@kiln/jobs';

/** Progress updates a simulated job sends per second, for how many seconds. */
export const PROGRESS_PER_SECOND = 4;
export const SECONDS = 10;
/** Simulated jobs belong to this many customers, round robin. */
export const CUSTOMERS = 20;

/** One simulated job's life: created, probing, encoding, 40 progress updates, storing, completed. */
export function* lifecycle(job: Job): Generator<{ at: number; event: string; job: Job; progress: boolean }> {
  const step = (patch: Partial<Job>) => (job = { ...job, ...patch, seq: job.seq + 1 });
  yield { at: 0, event: JOB_EVENTS.created, job, progress: false };
  yield { at: 0, event: JOB_EVENTS.progress, job: step({ status: 'probing' }), progress: false };
  yield { at: 0, event: JOB_EVENTS.progress, job: step({ status: 'encoding' }), progress: false };
  const n = PROGRESS_PER_SECOND * SECONDS;
  for (let i = 1; i <= n; i++) {
    const percent = Math.round((i / n) * 1000) / 10;
    yield {
      at: (i * 1000) / PROGRESS_PER_SECOND,
      event: JOB_EVENTS.progress,
      job: step({ progress: { percent, fps: 100, speed: 4, etaSeconds: (n - i) / PROGRESS_PER_SECOND } }),
      progress: true,
    };
  }
  yield { at: SECONDS * 1000, event: JOB_EVENTS.progress, job: step({ status: 'storing' }), progress: false };
  yield {
    at: SECONDS * 1000,
    event: JOB_EVENTS.completed,
    job: step({ status: 'completed' as JobStatus }),
    progress: false,
  };
}

/** A new queued job `job-<i>` of customer `c<i mod customers>`. */
export function newJob(i: number): Job {
  const now = new Date().toISOString();
  return {
    id: `job-${i}`,
    customerId: `c${i % CUSTOMERS}`,
    status: 'queued',
    priority: 'normal',
    pool: 'cpu',
    input: 'file:///bench/in.mp4',
    metadata: {},
    progress: { percent: 0, fps: null, speed: null, etaSeconds: null },
    outputs: [],
    error: null,
    attempts: 1,
    seq: 1,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
  };
}

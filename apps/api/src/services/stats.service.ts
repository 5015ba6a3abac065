import type { JobStatsRepository, JobStatus } from '@kiln/jobs';

const HOUR_MS = 3_600_000;

/** The fields of a job an encode speed is computed from. */
export interface JobSummary {
  status: JobStatus;
  startedAt: string | null;
  finishedAt: string | null;
  outputs: { durationSeconds: number | null }[];
  progress: { speed: number | null };
}

/** `GET /v1/stats`. */
export interface CustomerStats {
  /** Jobs by status, every status present (0 when none). */
  counts: Record<JobStatus, number>;
  /** The 24 hours up to and including the current one (UTC), oldest first: jobs created in each. */
  jobsPerHour: { hour: string; count: number }[];
  /** Mean over completed jobs of seconds of media encoded per second of work; null without any. */
  meanEncodeSpeed: number | null;
  /** Jobs the counts cover: all the customer's jobs (the figures are counters, nothing is scanned). */
  scannedJobs: number;
  /** Always false since the figures are counters; kept for clients of the response shape. */
  truncated: boolean;
}

/**
 * A completed job's speed: its media duration (the longest output) over the time from start to
 * finish, which counts every output and the storing step; else the last speed ffmpeg reported.
 * The job store's counters compute the same in Lua (`kiln_speed` in job-index.scripts.ts).
 */
export function encodeSpeedOf(job: JobSummary): number | null {
  if (job.status !== 'completed') return null;
  const duration = Math.max(0, ...job.outputs.map((o) => o.durationSeconds ?? 0));
  const elapsed =
    job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : NaN;
  if (duration > 0 && elapsed > 0) return duration / elapsed;
  const reported = job.progress.speed;
  return reported !== null && Number.isFinite(reported) && reported > 0 ? reported : null;
}

/**
 * Per-customer figures for dashboards, from counters the job store keeps on every write: a
 * constant number of O(1) or O(log n) Redis commands, however many jobs the customer has.
 */
export class StatsService {
  constructor(
    private readonly store: JobStatsRepository,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The customer's stats. */
  async forCustomer(customerId: string): Promise<CustomerStats> {
    const firstHour = Math.floor(this.clock().getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
    const hours = Array.from({ length: 24 }, (_, i) => firstHour + i * HOUR_MS);
    const { counts, created, speedSum, speedCount } = await this.store.counters(
      customerId,
      hours.map((h) => [h, h + HOUR_MS]),
    );
    return {
      counts,
      jobsPerHour: hours.map((h, i) => ({ hour: new Date(h).toISOString(), count: created[i] ?? 0 })),
      meanEncodeSpeed: speedCount <= 0 ? null : Math.round((speedSum / speedCount) * 1000) / 1000,
      scannedJobs: Object.values(counts).reduce((n, c) => n + c, 0),
      truncated: false,
    };
  }
}

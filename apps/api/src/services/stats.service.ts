import { JOB_STATUSES, type JobStatus } from '@kiln/jobs';
import type { JobStatsRepository, JobSummary } from './job-stats.repository.js';

/**
 * Most jobs one stats request reads (newest first) for the counts and the mean speed. A customer
 * with more gets figures over its newest ones and `truncated: true`; jobsPerHour is always exact.
 */
export const STATS_SCAN_LIMIT = 10_000;
const HOUR_MS = 3_600_000;

/** `GET /v1/stats`. */
export interface CustomerStats {
  /** Jobs by status, every status present (0 when none). */
  counts: Record<JobStatus, number>;
  /** The 24 hours up to and including the current one (UTC), oldest first: jobs created in each. */
  jobsPerHour: { hour: string; count: number }[];
  /** Mean over completed jobs of seconds of media encoded per second of work; null without any. */
  meanEncodeSpeed: number | null;
  /** Jobs read for counts and speed (at most {@link STATS_SCAN_LIMIT}). */
  scannedJobs: number;
  /** True when the customer has more jobs than were read. */
  truncated: boolean;
}

/**
 * A completed job's speed: its media duration (the longest output) over the time from start to
 * finish, which counts every output and the storing step; else the last speed ffmpeg reported.
 */
export function encodeSpeedOf(job: JobSummary): number | null {
  if (job.status !== 'completed') return null;
  const duration = Math.max(0, ...job.outputs.map((o) => o.durationSeconds ?? 0));
  const elapsed = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : NaN;
  if (duration > 0 && elapsed > 0) return duration / elapsed;
  const reported = job.progress.speed;
  return reported !== null && Number.isFinite(reported) && reported > 0 ? reported : null;
}

/** Per-customer figures for dashboards, computed from the job store on request. */
export class StatsService {
  constructor(
    private readonly store: JobStatsRepository,
    private readonly clock: () => Date = () => new Date(),
    private readonly scanLimit = STATS_SCAN_LIMIT,
  ) {}

  /** The customer's stats. */
  async forCustomer(customerId: string): Promise<CustomerStats> {
    const firstHour = Math.floor(this.clock().getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
    const hours = Array.from({ length: 24 }, (_, i) => firstHour + i * HOUR_MS);
    const [{ jobs, total }, perHour] = await Promise.all([this.store.newest(customerId, this.scanLimit), this.store.countCreated(customerId, hours.map((h) => [h, h + HOUR_MS]))]);
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    let speedSum = 0;
    let speedCount = 0;
    for (const job of jobs) {
      counts[job.status] = (counts[job.status] ?? 0) + 1;
      const speed = encodeSpeedOf(job);
      if (speed !== null) {
        speedSum += speed;
        speedCount++;
      }
    }
    return {
      counts,
      jobsPerHour: hours.map((h, i) => ({ hour: new Date(h).toISOString(), count: perHour[i] ?? 0 })),
      meanEncodeSpeed: speedCount === 0 ? null : Math.round((speedSum / speedCount) * 1000) / 1000,
      scannedJobs: jobs.length,
      truncated: total > this.scanLimit,
    };
  }
}

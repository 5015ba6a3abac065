import type { JobStatus } from './job.types.js';

/** One hour of `GET /v1/stats`' `jobsPerHour`: its start (ISO, UTC) and the jobs created in it. */
export interface HourCount {
  hour: string;
  count: number;
}

/** `GET /v1/stats`: the customer's job figures. */
export interface Stats {
  /** Jobs by status (of the `scannedJobs` newest). */
  counts: Partial<Record<JobStatus, number>>;
  /** The last 24 hours, oldest first. */
  jobsPerHour: HourCount[];
  /** Mean seconds of media encoded per second of work over completed jobs; null without any. */
  meanEncodeSpeed: number | null;
  scannedJobs: number;
  /** True when counts and speed cover only the newest `scannedJobs` jobs. */
  truncated: boolean;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks a `GET /v1/stats` body before the chart and summary use it. */
export function isStats(value: unknown): value is Stats {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const counts = v['counts'];
  if (typeof counts !== 'object' || counts === null || !Object.values(counts).every(isCount)) return false;
  const hours = v['jobsPerHour'];
  if (!Array.isArray(hours)) return false;
  const hoursOk = hours.every((h: unknown) => {
    if (typeof h !== 'object' || h === null) return false;
    const { hour, count } = h as Record<string, unknown>;
    return typeof hour === 'string' && !Number.isNaN(Date.parse(hour)) && isCount(count);
  });
  const speed = v['meanEncodeSpeed'];
  return (
    hoursOk && (speed === null || isCount(speed)) && isCount(v['scannedJobs']) && typeof v['truncated'] === 'boolean'
  );
}

import { formatSpeed } from './format.js';
import type { JobStatus, Stats } from '@kiln/client';

// Terminal states first: they are what a customer looks for; then the ones still moving.
const ORDER: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'encoding', 'probing', 'storing', 'queued'];

/**
 * The stats card's text lines: non-zero counts by status, jobs created in the last 24 hours with
 * the busiest hour, and the mean encode speed.
 */
export function statsSummary(stats: Stats): string[] {
  const counts = ORDER.map((s) => [s, stats.counts[s] ?? 0] as const).filter(([, n]) => n > 0);
  const countLine =
    counts.length === 0
      ? 'No jobs yet.'
      : `${counts.map(([s, n]) => `${n} ${s}`).join(' · ')}${stats.truncated ? ` (newest ${stats.scannedJobs} jobs)` : ''}`;
  const day = stats.jobsPerHour.reduce((sum, h) => sum + h.count, 0);
  const peak = Math.max(0, ...stats.jobsPerHour.map((h) => h.count));
  const dayLine = `${day} ${day === 1 ? 'job' : 'jobs'} in the last 24 h${day > 0 ? `, busiest hour ${peak}` : ''}`;
  const speedLine =
    stats.meanEncodeSpeed === null
      ? 'Mean encode speed: — (no completed jobs)'
      : `Mean encode speed: ${formatSpeed(stats.meanEncodeSpeed)} real time`;
  return [countLine, dayLine, speedLine];
}

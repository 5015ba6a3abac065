import { describe, expect, it } from 'vitest';
import { statsSummary } from './stats-summary.js';
import { isStats, type Stats } from '@kiln/client';

function stats(over: Partial<Stats> = {}): Stats {
  return {
    counts: { queued: 0, probing: 0, encoding: 1, storing: 0, completed: 5, failed: 2, cancelled: 0 },
    jobsPerHour: Array.from({ length: 24 }, (_, i) => ({
      hour: new Date(Date.UTC(2025, 0, 1, i)).toISOString(),
      count: i === 23 ? 6 : i === 3 ? 2 : 0,
    })),
    meanEncodeSpeed: 3.456,
    scannedJobs: 8,
    truncated: false,
    ...over,
  };
}

describe('statsSummary', () => {
  it('lists non-zero counts finished first, the day total with its busiest hour, and the mean speed', () => {
    expect(statsSummary(stats())).toEqual([
      '5 completed · 2 failed · 1 encoding',
      '8 jobs in the last 24 h, busiest hour 6',
      'Mean encode speed: 3.5× real time',
    ]);
  });

  it('says so when there are no jobs, no completed job, or only the newest were counted', () => {
    const empty = stats({ counts: {}, jobsPerHour: [], meanEncodeSpeed: null, scannedJobs: 0 });
    expect(statsSummary(empty)).toEqual([
      'No jobs yet.',
      '0 jobs in the last 24 h',
      'Mean encode speed: — (no completed jobs)',
    ]);
    expect(statsSummary(stats({ truncated: true }))[0]).toBe('5 completed · 2 failed · 1 encoding (newest 8 jobs)');
  });
});

describe('isStats', () => {
  it('accepts the API body and refuses bodies the chart could not draw', () => {
    expect(isStats(stats())).toBe(true);
    expect(isStats(stats({ meanEncodeSpeed: null }))).toBe(true);
    expect(isStats(null)).toBe(false);
    expect(isStats({ ...stats(), counts: { completed: 'many' } })).toBe(false);
    expect(isStats({ ...stats(), jobsPerHour: [{ hour: 'yesterday', count: 1 }] })).toBe(false);
    expect(isStats({ ...stats(), jobsPerHour: [{ hour: '2025-01-01T00:00:00.000Z', count: -1 }] })).toBe(false);
    expect(isStats({ ...stats(), meanEncodeSpeed: Number.NaN })).toBe(false);
    expect(isStats({ ...stats(), truncated: undefined })).toBe(false);
  });
});

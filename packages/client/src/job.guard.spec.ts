import { describe, expect, it } from 'vitest';
import { isJob, isJobSummary, jobFromEvent } from './job.guard.js';
import type { Job } from './job.schema.js';

const record: Job = {
  id: 'j1',
  customerId: 'acme',
  status: 'completed',
  priority: 'normal',
  pool: 'cpu',
  input: 'file:///a.mp4',
  metadata: { team: 'video' },
  progress: { percent: 100, fps: null, speed: 2.5, etaSeconds: 0 },
  outputs: [
    {
      name: 'hls',
      preset: 'hls-ladder',
      status: 'completed',
      contentType: 'application/vnd.apple.mpegurl',
      sizeBytes: 120,
      durationSeconds: 4,
      width: 1280,
      height: 720,
      bitrateKbps: null,
      checksum: null,
      downloadPath: '/v1/jobs/j1/outputs/hls/master.m3u8',
      files: [{ path: 'master.m3u8', sizeBytes: 120, checksum: 'sha256:ab' }],
    },
  ],
  error: null,
  attempts: 1,
  seq: 7,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:01.000Z',
  startedAt: '2026-12-01T00:00:00.500Z',
  finishedAt: '2026-12-01T00:00:01.000Z',
};
const { input: _input, metadata: _metadata, ...summary } = record;

describe('job guards (derived from the zod schemas)', () => {
  it('accepts the API record as a job and as a summary, and a summary only as a summary', () => {
    expect(isJob(record)).toBe(true);
    expect(isJobSummary(record)).toBe(true);
    expect(isJobSummary(summary)).toBe(true);
    expect(isJob(summary)).toBe(false);
  });

  it('accepts fields and presets it does not know yet, and leaves the value as it came', () => {
    const newer = { ...record, priority: 'high', outputs: [{ ...record.outputs[0]!, preset: 'av1-4k', extra: 1 }] };
    expect(isJob(newer)).toBe(true);
    expect(newer).toHaveProperty('priority', 'high');
  });

  it('refuses what would break a view or win the seq comparison by accident', () => {
    const bad: unknown[] = [
      null,
      'j1',
      { ...record, id: '' },
      { ...record, seq: Number.NaN },
      { ...record, seq: '7' },
      { ...record, status: 'exploded' },
      { ...record, progress: null },
      { ...record, progress: { ...record.progress, percent: 140 } },
      { ...record, outputs: {} },
      { ...record, outputs: [{ name: 'x' }] },
      { ...record, error: { code: 'boom' } },
      { ...record, metadata: { n: 1 } },
    ];
    for (const value of bad) expect(isJob(value), JSON.stringify(value)).toBe(false);
    expect(isJobSummary({ ...summary, outputs: Array.from({ length: 11 }, () => summary.outputs[0]) })).toBe(false);
  });

  it('reads the summary out of an event payload, or nothing from a malformed one', () => {
    expect(jobFromEvent({ id: 'j1', seq: 7, status: 'completed', job: summary })).toBe(summary);
    expect(jobFromEvent({ id: 'j1', seq: 7, status: 'completed', job: { id: 'j1' } })).toBeUndefined();
    expect(jobFromEvent('job.progress')).toBeUndefined();
    expect(jobFromEvent(null)).toBeUndefined();
  });
});

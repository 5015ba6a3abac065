import { toJobSummary, type Job } from '@kiln/jobs';
import { describe, expect, it } from 'vitest';
import { outputCell, placeText } from './job-row.view.js';

const sha = `sha256:${'ab'.repeat(32)}`;
const completed: Job = {
  id: 'j1',
  customerId: 'acme',
  status: 'completed',
  priority: 'normal',
  pool: 'cpu',
  input: 'file:///srv/in.mp4',
  metadata: {},
  progress: { percent: 100, fps: null, speed: null, etaSeconds: 0 },
  outputs: [
    {
      name: 'hls',
      preset: 'hls',
      status: 'completed',
      contentType: 'application/vnd.apple.mpegurl',
      sizeBytes: 3_000_000,
      durationSeconds: 400,
      width: 128,
      height: 72,
      bitrateKbps: 60,
      checksum: null,
      downloadPath: '/v1/jobs/j1/outputs/hls/master.m3u8',
      files: Array.from({ length: 102 }, (_, i) => ({
        path: `v0/seg_${String(i).padStart(3, '0')}.ts`,
        sizeBytes: 29_000,
        checksum: sha,
      })),
    },
    {
      name: 'thumbnails',
      preset: 'thumbnails',
      status: 'completed',
      contentType: 'image/jpeg',
      sizeBytes: 20_000,
      durationSeconds: null,
      width: 128,
      height: 72,
      bitrateKbps: null,
      checksum: null,
      downloadPath: '/v1/jobs/j1/outputs/thumbnails',
      files: [{ path: 'thumb-01.jpg', sizeBytes: 20_000, checksum: sha }],
    },
    {
      name: 'mp4-360p',
      preset: 'mp4-360p',
      status: 'completed',
      contentType: 'video/mp4',
      sizeBytes: 1_500_000,
      durationSeconds: 400,
      width: 128,
      height: 72,
      bitrateKbps: 30,
      checksum: sha,
      downloadPath: '/v1/jobs/j1/outputs/mp4-360p',
    },
    {
      name: 'late',
      preset: 'mp4-480p',
      status: 'failed',
      contentType: 'video/mp4',
      sizeBytes: null,
      durationSeconds: null,
      width: null,
      height: null,
      bitrateKbps: null,
      checksum: null,
      downloadPath: null,
    },
  ],
  error: null,
  attempts: 1,
  seq: 12,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:01:00.000Z',
  startedAt: '2026-12-01T00:00:01.000Z',
  finishedAt: '2026-12-01T00:01:00.000Z',
};

describe('outputCell', () => {
  it('shows the same links, sizes, bit rates and checksum tooltips from an event summary (no files) as from the record', () => {
    // As the channel delivers it: JSON through Pusher, no files.
    const summary = JSON.parse(JSON.stringify({ job: toJobSummary(completed) })) as {
      job: { outputs: Job['outputs'] };
    };
    expect(summary.job.outputs.some((o) => 'files' in o)).toBe(false);
    expect(summary.job.outputs.map(outputCell)).toEqual(completed.outputs.map(outputCell));
    expect(outputCell(summary.job.outputs[2]!)).toEqual({
      name: 'mp4-360p',
      title: `mp4-360p · ${sha}`,
      downloadPath: '/v1/jobs/j1/outputs/mp4-360p',
      fileName: 'mp4-360p.mp4',
      detail: '128×72 · 1.4 MB · 30 kbit/s',
    });
    expect(outputCell(summary.job.outputs[0]!)).toMatchObject({
      downloadPath: '/v1/jobs/j1/outputs/hls/master.m3u8',
      fileName: 'hls.m3u8',
      detail: '128×72 · 2.9 MB · 60 kbit/s',
    });
    expect(outputCell(summary.job.outputs[3]!)).toEqual({
      name: 'late',
      title: 'mp4-480p',
      downloadPath: null,
      fileName: 'late.mp4',
      detail: 'failed',
    });
  });
});

describe('placeText', () => {
  const place = { position: 3, etaSeconds: 120, pool: 'cpu', reason: null };

  it("shows a queued job's place with the shared formatter", () => {
    expect(placeText('queued', place)).toBe('3rd in line · ~2 min');
    expect(placeText('queued', { ...place, position: 1, etaSeconds: null })).toBe('next in line');
  });

  it('shows nothing once the job left the line or while its place is unknown', () => {
    expect(placeText('encoding', place)).toBe('');
    expect(placeText('queued', undefined)).toBe('');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  jobEventPayload,
  jsonBytes,
  SUMMARY_ERROR_MESSAGE_BYTES,
  toJobSummary,
  toMinimalJobSummary,
  truncateToJsonBytes,
} from './job-summary.js';
import { compareJobVersions, isFullJob } from '@kiln/client/contract';
import type { Job } from './job.schema.js';

const job: Job = {
  id: 'j1',
  customerId: 'acme',
  status: 'completed',
  priority: 'normal',
  pool: 'cpu',
  input: 'file:///srv/in.mp4',
  inputProbe: {
    durationSeconds: 8,
    sizeBytes: 123456,
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    video: { codec: 'h264', width: 1280, height: 720, fps: 25, pixelFormat: 'yuv420p', bitrateKbps: 1200 },
    audio: { codec: 'aac', channels: 2, sampleRate: 48000, bitrateKbps: 128 },
  },
  metadata: { title: 'x' },
  progress: { percent: 100, fps: 25, speed: 3.1, etaSeconds: 0 },
  outputs: [
    {
      name: 'hls',
      preset: 'hls',
      status: 'completed',
      contentType: 'application/vnd.apple.mpegurl',
      sizeBytes: 900,
      durationSeconds: 8,
      width: 640,
      height: 360,
      bitrateKbps: 1,
      checksum: null,
      downloadPath: '/v1/jobs/j1/outputs/hls/master.m3u8',
      files: [
        { path: 'master.m3u8', sizeBytes: 100, checksum: 'sha256:00' },
        { path: 'v0/seg_000.ts', sizeBytes: 800 },
      ],
    },
    {
      name: 'mp4-360p',
      preset: 'mp4-360p',
      status: 'completed',
      contentType: 'video/mp4',
      sizeBytes: 5000,
      durationSeconds: 8,
      width: 640,
      height: 360,
      bitrateKbps: 5,
      checksum: 'sha256:ab',
      downloadPath: '/v1/jobs/j1/outputs/mp4-360p',
    },
  ],
  error: null,
  attempts: 1,
  seq: 9,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:10.000Z',
  startedAt: '2026-12-01T00:00:01.000Z',
  finishedAt: '2026-12-01T00:00:10.000Z',
};

describe('toJobSummary', () => {
  it('keeps everything a list row shows and leaves out files, input, its probe and metadata', () => {
    const summary = toJobSummary(job);
    expect(summary).not.toHaveProperty('input');
    expect(summary).not.toHaveProperty('inputProbe');
    expect(summary).not.toHaveProperty('metadata');
    expect(summary.outputs[0]).not.toHaveProperty('files');
    const { files, ...hls } = job.outputs[0]!;
    expect(summary.outputs).toEqual([{ ...hls, fileCount: files!.length }, job.outputs[1]]);
    const { input: _input, inputProbe: _probe, metadata: _metadata, outputs: _outputs, ...rest } = job;
    expect(summary).toMatchObject(rest);
    expect(jobEventPayload(job)).toEqual({ id: 'j1', seq: 9, status: 'completed', job: summary });
  });

  it('is its own fixed point, so a summary offered again changes nothing', () => {
    expect(toJobSummary(toJobSummary(job))).toEqual(toJobSummary(job));
  });

  it('shortens a long error message to its byte budget and keeps a short one', () => {
    const long = toJobSummary({
      ...job,
      status: 'failed',
      error: { code: 'ffmpeg_failed', message: '\u0001é"'.repeat(5000) },
    });
    expect(jsonBytes(long.error!.message)).toBeLessThanOrEqual(SUMMARY_ERROR_MESSAGE_BYTES);
    expect(long.error!.message.endsWith('…')).toBe(true);
    expect(toJobSummary({ ...job, error: { code: 'c', message: 'short' } }).error).toEqual({
      code: 'c',
      message: 'short',
    });
  });

  it('has a minimal form without outputs, marked truncated', () => {
    expect(toMinimalJobSummary(job)).toMatchObject({
      id: 'j1',
      seq: 9,
      status: 'completed',
      outputs: [],
      truncated: true,
    });
  });
});

describe('truncateToJsonBytes', () => {
  it('fits any text into its budget as a prefix plus an ellipsis, and leaves fitting text alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 8, max: 200 }), (text, max) => {
        const cut = truncateToJsonBytes(text, max);
        if (jsonBytes(text) <= max) expect(cut).toBe(text);
        else {
          expect(jsonBytes(cut)).toBeLessThanOrEqual(max);
          expect(cut.endsWith('…')).toBe(true);
          expect(text.startsWith(cut.slice(0, -1))).toBe(true);
        }
      }),
    );
  });
});

describe('compareJobVersions', () => {
  const summary = toJobSummary(job);

  it('lets a higher seq win either way and a lower one lose', () => {
    expect(compareJobVersions(undefined, summary)).toBe('inserted');
    expect(compareJobVersions(job, { ...summary, seq: 10 })).toBe('updated');
    expect(compareJobVersions({ ...summary, seq: 10 }, job)).toBe('stale');
  });

  it('at an equal seq upgrades a summary to the full record, never the reverse', () => {
    expect(compareJobVersions(summary, job)).toBe('updated');
    expect(compareJobVersions(job, summary)).toBe('duplicate');
    expect(compareJobVersions(summary, summary)).toBe('duplicate');
    expect(compareJobVersions(job, job)).toBe('duplicate');
    expect(isFullJob(job)).toBe(true);
    expect(isFullJob(summary)).toBe(false);
  });
});

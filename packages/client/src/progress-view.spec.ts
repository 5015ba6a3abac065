import { describe, expect, it } from 'vitest';
import type { JobOutput, JobStatus, JobSummary } from './job.schema.js';
import { hasPlayableType, playableOutput, progressView } from './progress-view.js';

function output(
  name: string,
  contentType: string,
  extra: Partial<JobOutput> & Record<string, unknown> = {},
): JobOutput {
  return {
    name,
    preset: name,
    status: 'completed',
    contentType,
    sizeBytes: 1000,
    durationSeconds: 10,
    width: 640,
    height: 360,
    checksum: null,
    downloadPath: `/v1/jobs/j1/outputs/${name}`,
    ...extra,
  };
}

function job(status: JobStatus, over: Partial<JobSummary> = {}): JobSummary {
  return {
    id: 'j1',
    customerId: 'acme',
    status,
    priority: 'normal',
    pool: 'cpu',
    progress: { percent: 42.345, fps: 30, speed: 2, etaSeconds: 125 },
    outputs: [],
    error: null,
    attempts: 1,
    seq: 5,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

describe('progressView', () => {
  it('shows percent and time left while encoding', () => {
    expect(progressView(job('encoding'))).toEqual({
      status: 'encoding',
      label: 'Encoding',
      percent: 42.3,
      eta: '~2 min left',
      error: null,
      done: false,
    });
  });

  it('shows no percent while queued, 100 once completed, and the error when failed', () => {
    expect(progressView(job('queued')).percent).toBeNull();
    expect(progressView(job('completed'))).toMatchObject({ percent: 100, label: 'Ready', done: true, eta: null });
    const failed = job('failed', { error: { code: 'input_unreadable', message: 'The input is not a video.' } });
    expect(progressView(failed)).toMatchObject({ label: 'Failed', error: 'The input is not a video.', done: true });
    expect(progressView(job('failed')).error).toBe('The job failed.');
  });

  it('keeps a percent in 0-100 whatever the wire says, and no time left without an estimate', () => {
    expect(
      progressView(job('encoding', { progress: { percent: 140, fps: null, speed: null, etaSeconds: null } })),
    ).toMatchObject({
      percent: 100,
      eta: null,
    });
    expect(
      progressView(job('storing', { progress: { percent: -3, fps: null, speed: null, etaSeconds: 9 } })).percent,
    ).toBe(0);
  });
});

describe('playableOutput', () => {
  const signed = (name: string) => ({
    signedUrl: `https://kiln.example/play/tok/${name}`,
    signedUrlExpiresAt: '2030-01-01T00:00:00.000Z',
  });

  it('picks the first completed playable output that has a signed URL, in the job order', () => {
    const j = job('completed', {
      outputs: [
        output('thumbs', 'image/jpeg', signed('thumb-01.jpg')),
        output('mp4', 'video/mp4', { status: 'failed' }),
        output('hls', 'application/vnd.apple.mpegurl', signed('master.m3u8')),
        output('webm', 'video/webm', signed('webm')),
      ],
    });
    expect(playableOutput(j)).toEqual({
      name: 'hls',
      kind: 'hls',
      contentType: 'application/vnd.apple.mpegurl',
      url: 'https://kiln.example/play/tok/master.m3u8',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
  });

  it('plays MP4 and WebM as files', () => {
    expect(playableOutput(job('completed', { outputs: [output('mp4', 'video/mp4', signed('mp4'))] }))?.kind).toBe(
      'file',
    );
    expect(playableOutput(job('completed', { outputs: [output('w', 'video/webm', signed('w'))] }))?.kind).toBe('file');
  });

  it('has nothing to play before a read brought signed URLs (an event never carries them)', () => {
    const j = job('completed', { outputs: [output('mp4', 'video/mp4')] });
    expect(playableOutput(j)).toBeUndefined();
    expect(hasPlayableType(j)).toBe(true);
    expect(hasPlayableType(job('completed', { outputs: [output('t', 'image/jpeg')] }))).toBe(false);
  });
});

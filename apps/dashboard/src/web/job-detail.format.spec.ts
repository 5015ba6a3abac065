import type { InputProbe, Job, JobOutput, JobSummary } from '@kiln/client';
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  inputFacts,
  jobFacts,
  mergeSummary,
  outputMedia,
  probeFacts,
  thumbnailUrls,
} from './job-detail.format.js';

const sha = `sha256:${'ab'.repeat(32)}`;
const thumbs = (status: JobOutput['status'], files?: JobOutput['files']): JobOutput => ({
  name: 'thumbnails',
  preset: 'thumbnails',
  status,
  contentType: 'image/jpeg',
  sizeBytes: status === 'completed' ? 40_000 : null,
  durationSeconds: null,
  width: null,
  height: null,
  checksum: null,
  downloadPath: status === 'completed' ? '/v1/jobs/j1/outputs/thumbnails/thumb-01.jpg' : null,
  ...(files ? { files } : {}),
});
const mp4 = (status: JobOutput['status']): JobOutput => ({
  name: 'mp4-360p',
  preset: 'mp4-360p',
  status,
  contentType: 'video/mp4',
  sizeBytes: status === 'completed' ? 1_000 : null,
  durationSeconds: status === 'completed' ? 12.5 : null,
  width: 640,
  height: 360,
  checksum: null,
  downloadPath: status === 'completed' ? '/v1/jobs/j1/outputs/mp4-360p' : null,
});
const record = (over: Partial<Job> = {}): Job => ({
  id: 'j1',
  customerId: 'acme',
  status: 'encoding',
  priority: 'normal',
  pool: 'cpu',
  input: 'file:///srv/in.mp4',
  metadata: { title: 'Intro' },
  progress: { percent: 40, fps: 50, speed: 2, etaSeconds: 5 },
  outputs: [mp4('encoding'), thumbs('completed', [{ path: 'thumb-01.jpg', sizeBytes: 20_000, checksum: sha }])],
  error: null,
  attempts: 1,
  seq: 5,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:05.000Z',
  startedAt: '2026-12-01T00:00:01.000Z',
  finishedAt: null,
  ...over,
});
/** The summary an event carries: no input, metadata or files. */
function summaryOf(job: Job, fileCounts: Record<string, number> = {}): JobSummary {
  const { input: _input, metadata: _metadata, outputs, ...rest } = job;
  return {
    ...rest,
    outputs: outputs.map(({ files: _files, ...o }) =>
      fileCounts[o.name] !== undefined ? { ...o, fileCount: fileCounts[o.name] } : o,
    ),
  };
}

describe('mergeSummary', () => {
  it('ignores a summary that is not newer, and keeps the record at an equal seq', () => {
    const job = record();
    expect(
      mergeSummary(job, summaryOf(record({ seq: 5, progress: { ...job.progress, percent: 90 } }))),
    ).toBeUndefined();
    expect(mergeSummary(job, summaryOf(record({ seq: 4 })))).toBeUndefined();
  });

  it("takes a newer summary's progress and keeps the record's input, metadata and unchanged outputs' files", () => {
    const job = record();
    const next = summaryOf(record({ seq: 6, progress: { percent: 70, fps: 60, speed: 2.5, etaSeconds: 2 } }), {
      thumbnails: 1,
    });
    const merged = mergeSummary(job, next)!;
    expect(merged.reread).toBe(false);
    expect(merged.job.progress.percent).toBe(70);
    expect(merged.job.seq).toBe(6);
    expect(merged.job.input).toBe('file:///srv/in.mp4');
    expect(merged.job.metadata).toEqual({ title: 'Intro' });
    expect(merged.job.outputs[1]!.files).toHaveLength(1);
    expect(merged.job.outputs[1]).not.toHaveProperty('fileCount');
  });

  it('asks for the record when a directory output completes (its files are not in events) or the job ends', () => {
    const running = record({ outputs: [mp4('encoding'), thumbs('encoding')] });
    const thumbsDone = summaryOf(record({ seq: 6, outputs: [mp4('encoding'), thumbs('completed')] }), {
      thumbnails: 4,
    });
    expect(mergeSummary(running, thumbsDone)!.reread).toBe(true);
    const done = summaryOf(record({ seq: 7, status: 'completed', outputs: [mp4('completed')] }));
    const merged = mergeSummary(record({ outputs: [mp4('encoding')] }), done)!;
    expect(merged.reread).toBe(true);
    expect(merged.job.status).toBe('completed');
    expect(merged.job.outputs[0]!.status).toBe('completed');
  });

  it('asks for the record once the job moves past probing (the probe is in no event), and keeps its probe meanwhile', () => {
    const inputProbe: InputProbe = { durationSeconds: 2, sizeBytes: null, container: null, video: null, audio: null };
    const probing = record({ status: 'probing', inputProbe });
    const merged = mergeSummary(probing, summaryOf(record({ seq: 6, status: 'encoding' })))!;
    expect(merged.reread).toBe(true);
    expect(merged.job.inputProbe).toEqual(inputProbe);
    expect(mergeSummary(record({ status: 'queued' }), summaryOf(record({ seq: 6, status: 'probing' })))!.reread).toBe(
      false,
    );
  });

  it('keeps the outputs of the record when the summary is a truncated one, and re-reads', () => {
    const job = record();
    const minimal: JobSummary = { ...summaryOf(record({ seq: 9 })), outputs: [], truncated: true };
    const merged = mergeSummary(job, minimal)!;
    expect(merged.reread).toBe(true);
    expect(merged.job.outputs).toEqual(job.outputs);
    expect(merged.job).not.toHaveProperty('truncated');
  });
});

describe('outputMedia', () => {
  it('plays HLS in hls.js, MP4 and WebM in <video>, shows thumbnails as images', () => {
    expect(outputMedia({ contentType: 'application/vnd.apple.mpegurl' })).toBe('hls');
    expect(outputMedia({ contentType: 'video/mp4' })).toBe('video');
    expect(outputMedia({ contentType: 'video/webm' })).toBe('video');
    expect(outputMedia({ contentType: 'audio/mp4' })).toBe('audio');
    expect(outputMedia({ contentType: 'image/jpeg' })).toBe('images');
    expect(outputMedia({ contentType: 'image/webp' })).toBe('images');
    expect(outputMedia({ contentType: 'text/vtt' })).toBe('images');
    expect(outputMedia({ contentType: 'text/vtt', preset: 'captions' })).toBe('none');
    expect(outputMedia({ contentType: 'application/octet-stream' })).toBe('none');
  });
});

describe('thumbnailUrls', () => {
  const signed = 'https://api.test/play/tok.en/thumb-01.jpg';
  it('resolves every image file against the signed entry URL, inheriting its token segment', () => {
    const files = [
      { path: 'thumb-01.jpg', sizeBytes: 1 },
      { path: 'thumb-02.jpg', sizeBytes: 1 },
      { path: 'sub dir/thumb #3.jpg', sizeBytes: 1 },
      { path: 'index.json', sizeBytes: 1 },
    ];
    expect(thumbnailUrls(signed, files)).toEqual([
      'https://api.test/play/tok.en/thumb-01.jpg',
      'https://api.test/play/tok.en/thumb-02.jpg',
      'https://api.test/play/tok.en/sub%20dir/thumb%20%233.jpg',
    ]);
  });
  it('falls back to the entry file when the files are not known', () => {
    expect(thumbnailUrls(signed, undefined)).toEqual([signed]);
    expect(thumbnailUrls('https://api.test/play/tok.en/preview.webp', undefined)).toEqual([
      'https://api.test/play/tok.en/preview.webp',
    ]);
  });

  it("shows a storyboard's sprite, never its VTT entry file", () => {
    const vtt = 'https://api.test/play/tok.en/storyboard.vtt';
    const files = [
      { path: 'storyboard.jpg', sizeBytes: 1 },
      { path: 'storyboard.vtt', sizeBytes: 1 },
    ];
    expect(thumbnailUrls(vtt, files)).toEqual(['https://api.test/play/tok.en/storyboard.jpg']);
    expect(thumbnailUrls(vtt, undefined)).toEqual([]);
  });
});

describe('facts', () => {
  it("lists state facts with the error, and the input with the outputs' duration and the metadata", () => {
    const failed = record({ status: 'failed', error: { code: 'input_invalid', message: 'not a video' } });
    expect(jobFacts(failed)).toContainEqual({ label: 'Error', value: 'not a video (input_invalid)' });
    expect(jobFacts(failed)).toContainEqual({ label: 'Attempts', value: '1' });
    expect(jobFacts(record()).some((f) => f.label === 'Error')).toBe(false);
    const done = record({ outputs: [mp4('completed')] });
    expect(inputFacts(done)).toEqual([
      { label: 'Source', value: 'file:///srv/in.mp4' },
      { label: 'Probe', value: 'not probed yet' },
      { label: 'Duration', value: '0:12.5' },
      { label: 'metadata.title', value: 'Intro' },
    ]);
    expect(inputFacts(record({ inputProbe: null, metadata: {} }))).toEqual([
      { label: 'Source', value: 'file:///srv/in.mp4' },
      { label: 'Probe', value: 'not probed yet' },
    ]);
  });

  it("shows the input's probe: duration, container, size and each stream with its bit rate", () => {
    const inputProbe: InputProbe = {
      durationSeconds: 2.0213,
      sizeBytes: 52_000,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      video: { codec: 'h264', width: 320, height: 240, fps: 30000 / 1001, pixelFormat: 'yuv420p', bitrateKbps: 1450 },
      audio: { codec: 'aac', channels: 2, sampleRate: 44_100, bitrateKbps: 64 },
    };
    expect(inputFacts(record({ inputProbe, metadata: {} }))).toEqual([
      { label: 'Source', value: 'file:///srv/in.mp4' },
      { label: 'Duration', value: '0:02.0' },
      { label: 'Container', value: 'mov,mp4,m4a,3gp,3g2,mj2' },
      { label: 'Size', value: '51 KB' },
      { label: 'Video', value: 'h264 · 320×240 · 29.97 fps · yuv420p · 1,450 kbit/s' },
      { label: 'Audio', value: 'aac · stereo · 44.1 kHz · 64 kbit/s' },
    ]);
    const sparse = {
      ...inputProbe,
      sizeBytes: null,
      container: null,
      video: { ...inputProbe.video!, fps: null, pixelFormat: null, bitrateKbps: null },
      audio: null,
    };
    expect(probeFacts(sparse)).toEqual([
      { label: 'Duration', value: '0:02.0' },
      { label: 'Video', value: 'h264 · 320×240' },
      { label: 'Audio', value: 'none' },
    ]);
    expect(
      probeFacts({
        ...sparse,
        video: null,
        audio: { codec: 'opus', channels: 6, sampleRate: 48_000, bitrateKbps: null },
      }),
    ).toContainEqual({ label: 'Audio', value: 'opus · 6 ch · 48 kHz' });
  });

  it('formats durations with hours only when needed', () => {
    expect(formatDuration(0)).toBe('0:00.0');
    expect(formatDuration(65.25)).toBe('1:05.3');
    expect(formatDuration(3723)).toBe('1:02:03.0');
    expect(formatDuration(null)).toBe('—');
  });
});

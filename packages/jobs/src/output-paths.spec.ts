import { describe, expect, it } from 'vitest';
import type { JobOutput } from './job.schema.js';
import {
  DASH_MANIFEST_FILE,
  directoryEntryFile,
  outputDownloadPath,
  storedOutput,
  withDownloadPath,
} from './output-paths.js';
import { getPreset, isDirectoryPreset, PRESETS } from './presets.js';

describe('outputDownloadPath', () => {
  it('is the output path for a file output', () => {
    expect(outputDownloadPath('job_1', { name: 'mp4-360p' }, getPreset('mp4-360p')!)).toBe(
      '/v1/jobs/job_1/outputs/mp4-360p',
    );
    expect(outputDownloadPath('job_1', { name: 'small' }, getPreset('audio-aac')!)).toBe(
      '/v1/jobs/job_1/outputs/small',
    );
  });

  it("names the entry file of a directory output, so relative URIs resolve inside the output's folder", () => {
    const hls = outputDownloadPath('job_1', { name: 'stream' }, getPreset('hls')!);
    expect(hls).toBe('/v1/jobs/job_1/outputs/stream/master.m3u8');
    expect(new URL('v0/index.m3u8', `http://api${hls}`).pathname).toBe('/v1/jobs/job_1/outputs/stream/v0/index.m3u8');
    expect(outputDownloadPath('job_1', { name: 'thumbnails' }, getPreset('thumbnails')!)).toBe(
      '/v1/jobs/job_1/outputs/thumbnails/thumb-01.jpg',
    );
    const storyboard = outputDownloadPath('job_1', { name: 'scrub' }, getPreset('storyboard')!);
    expect(storyboard).toBe('/v1/jobs/job_1/outputs/scrub/storyboard.vtt');
    expect(new URL('storyboard.jpg', `http://api${storyboard}`).pathname).toBe(
      '/v1/jobs/job_1/outputs/scrub/storyboard.jpg',
    );
  });

  it('is the output path for a preview, a single file', () => {
    expect(outputDownloadPath('job_1', { name: 'preview' }, getPreset('preview')!)).toBe(
      '/v1/jobs/job_1/outputs/preview',
    );
  });

  it('enters a CMAF output by its HLS master playlist, beside which its DASH manifest resolves', () => {
    const cmaf = outputDownloadPath('job_1', { name: 'stream' }, getPreset('cmaf')!);
    expect(cmaf).toBe('/v1/jobs/job_1/outputs/stream/master.m3u8');
    expect(new URL(DASH_MANIFEST_FILE, `http://api${cmaf}`).pathname).toBe(
      '/v1/jobs/job_1/outputs/stream/manifest.mpd',
    );
  });

  it('encodes a name so it stays one path segment', () => {
    expect(outputDownloadPath('job_1', { name: 'a b' }, getPreset('mp4-360p')!)).toBe('/v1/jobs/job_1/outputs/a%20b');
  });

  it('has an entry file for every directory preset', () => {
    for (const preset of PRESETS.values())
      if (isDirectoryPreset(preset)) expect(directoryEntryFile(preset)).toMatch(/^[a-z0-9-]+\.(m3u8|jpg|vtt)$/);
  });
});

describe('withDownloadPath', () => {
  const output = (preset: string, status: JobOutput['status']): JobOutput => ({
    name: 'out',
    preset,
    status,
    contentType: 'video/mp4',
    sizeBytes: null,
    durationSeconds: null,
    width: null,
    height: null,
    downloadPath: '/stale',
  });

  it('sets the download path of a completed output and null before, whatever was stored', () => {
    expect(withDownloadPath('j1', output('hls', 'completed')).downloadPath).toBe('/v1/jobs/j1/outputs/out/master.m3u8');
    expect(withDownloadPath('j1', output('mp4-360p', 'completed')).downloadPath).toBe('/v1/jobs/j1/outputs/out');
    expect(withDownloadPath('j1', output('mp4-360p', 'encoding')).downloadPath).toBeNull();
    expect(withDownloadPath('j1', output('no-such-preset', 'completed')).downloadPath).toBeNull();
  });

  it('is dropped from what the store keeps', () => {
    expect('downloadPath' in storedOutput(output('hls', 'completed'))).toBe(false);
  });
});

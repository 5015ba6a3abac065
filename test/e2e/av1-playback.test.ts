import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { ffprobeJson, makeClip, waitFor } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';
import {
  openVideoPlayer,
  startVideoPageServer,
  type VideoPageServer,
  type VideoPlayer,
  type VideoPlayerState,
} from '../support/video-player.js';

/** AV1 Main profile, level 3.1 (720p), 8 bit, with AAC-LC: what mp4-av1-720p writes. */
const AV1_MP4 = 'video/mp4; codecs="av01.0.05M.08, mp4a.40.2"';
/** The same AV1 with Opus in WebM: what webm-av1-720p writes. */
const AV1_WEBM = 'video/webm; codecs="av01.0.05M.08, opus"';

describe('mp4-av1-720p and webm-av1-720p on a real worker, played by a plain <video> in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let pages: VideoPageServer | undefined;
  let player: VideoPlayer | undefined;
  let job: Job;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack({ customers: ['acme'], workers: 1 }), launchChromium()]);
    const input = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 2, width: 1920, height: 1080, audio: true }), input);
    const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'mp4-av1-720p' }, { preset: 'webm-av1-720p' }],
    });
    expect(created.status).toBe(202);
    await waitFor(
      async () => {
        job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 110_000, intervalMs: 200, message: 'the AV1 job to finish' },
    );
  });

  afterAll(async () => {
    if (player) await screenshot(player.page, 'av1-playback').catch(() => undefined);
    await player?.close().catch(() => undefined);
    await browser?.close();
    await pages?.stop();
    await stack?.stop();
  });

  it('completes an AV1 MP4 and an AV1 WebM of 1280x720 with audio, stored under the output names', async () => {
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.outputs[0]).toMatchObject({ preset: 'mp4-av1-720p', status: 'completed', width: 1280, height: 720 });
    const probe = await ffprobeJson(path.join(stack.storageDir, 'acme', job.id, `${job.outputs[0]!.name}.mp4`));
    expect(probe.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'av1'],
      ['audio', 'aac'],
    ]);
    expect(job.outputs[1]).toMatchObject({ preset: 'webm-av1-720p', status: 'completed', width: 1280, height: 720 });
    const webm = await ffprobeJson(path.join(stack.storageDir, 'acme', job.id, `${job.outputs[1]!.name}.webm`));
    expect(webm.format.format_name).toContain('webm');
    expect(webm.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'av1'],
      ['audio', 'opus'],
    ]);
  });

  it.each([
    [0, 'MP4', AV1_MP4],
    [1, 'WebM', AV1_WEBM],
  ] as const)(
    'plays to the end (output %i, %s): Chromium presents AV1 frames at 1280x720 and reports no error',
    async (index, container, type) => {
      expect(job.status).toBe('completed');
      pages ??= await startVideoPageServer({ apiUrl: stack.apiUrl, apiKey: stack.customers[0]!.key });
      await player?.close();
      player = await openVideoPlayer(browser, {
        pageOrigin: pages.origin,
        src: `/api${job.outputs[index]!.downloadPath!}`,
        type,
      });
      await player.play();
      let last: VideoPlayerState | undefined;
      await waitFor(
        async () => {
          last = await player!.state();
          return last.ended || last.error !== null;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: `the AV1 ${container} to play to its end` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; player state: ${JSON.stringify(last)}`);
      });
      expect(last).toMatchObject({ error: null, ended: true, videoWidth: 1280, videoHeight: 720, canPlay: 'probably' });
      expect(last!.currentTime).toBeGreaterThan(1.9);
      // 2 s at 25 fps: a busy machine may drop some, a browser that cannot decode AV1 presents none.
      expect(last!.frames).toBeGreaterThan(10);
    },
  );

  it('fails a job whose picture is too small for AV1 at once, without retrying, naming the limit', async () => {
    const input = path.join(stack.inputRoot, 'strip.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 128, height: 48, audio: false }), input);
    const api = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'mp4-360p' }, { preset: 'mp4-av1-720p' }],
    });
    expect(created.status).toBe(202);
    let failed: Job | undefined;
    await waitFor(
      async () => {
        failed = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(failed.status);
      },
      { timeoutMs: 60_000, intervalMs: 100, message: 'the job with a too small picture to end' },
    );
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        code: 'input_resolution_too_small',
        message: 'input picture is 128x48; mp4-av1-720p needs at least 64 pixels on each side',
      },
    });
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import {
  openHlsPlayer,
  startHlsPageServer,
  waitForHlsState,
  type HlsPageServer,
  type HlsPlayer,
} from '../support/hls-player.js';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';
import { openVideoPlayer, type VideoPlayer, type VideoPlayerState } from '../support/video-player.js';

/** 6 s of 360p at 12 fps with audio: two HLS segments, one rung of the ladder, cheap to encode. */
const CLIP = { seconds: 6, width: 640, height: 360, fps: 12, audio: true };

describe('signed output URLs played in headless Chromium with no credentials', () => {
  let stack: TestStack;
  let browser: Browser;
  let pages: HlsPageServer;
  // KILN_PUBLIC_URL points here: every request the page makes for a signed URL passes through it.
  let proxy: RecordingProxy;
  let job: Job;
  const opened: { close(): Promise<void> }[] = [];
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);

  async function signedUrl(name: string, ttlSeconds?: number): Promise<{ url: string; expiresAt: string }> {
    const res = await api()<{ url: string; expiresAt: string }>(
      'POST',
      `/v1/jobs/${job.id}/outputs/${name}/url`,
      ttlSeconds === undefined ? {} : { ttlSeconds },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.url.startsWith(`${proxy.origin}/play/`)).toBe(true);
    return res.body;
  }

  /** Waits until the `<video>` ended, played past `seconds`, or failed; returns its last state. */
  async function untilPlayedOrFailed(player: VideoPlayer, seconds: number): Promise<VideoPlayerState> {
    let last: VideoPlayerState | undefined;
    await waitFor(
      async () => {
        last = await player.state();
        return last.ended || last.currentTime > seconds || last.error !== null;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: `the video to play past ${seconds} s or fail` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; player state: ${JSON.stringify(last)}`);
    });
    return last!;
  }

  /** The requests for `/play/<token>/...` of this URL's token that reached the API through the proxy. */
  const playRequests = (url: string) => {
    const token = new URL(url).pathname.split('/')[2]!;
    return proxy.requests.filter((r) => r.url.startsWith(`/play/${token}/`));
  };

  beforeAll(async () => {
    proxy = await startRecordingProxy(() => stack.apiUrl);
    pages = await startHlsPageServer();
    [stack, browser] = await Promise.all([
      startTestStack({
        customers: ['acme'],
        workers: 1,
        env: { KILN_PUBLIC_URL: proxy.origin, KILN_SIGNING_SECRET: 'e2e-signing-secret-0123456789abcdef' },
      }),
      launchChromium(),
    ]);
    const input = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip(CLIP), input);
    const created = await api()<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }],
    });
    expect(created.status).toBe(202);
    await waitFor(
      async () => {
        job = (await api()<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 150_000, intervalMs: 200, message: 'the job to finish' },
    );
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
  }, 240_000);
  afterAll(async () => {
    for (const p of opened) await p.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await pages?.stop();
    await proxy?.stop();
  });

  it('plays the MP4 signed URL in a plain <video>, whose requests carry no Authorization header', async () => {
    const { url } = await signedUrl('mp4-360p');
    const player = await openVideoPlayer(browser, { pageOrigin: pages.origin, src: url, type: 'video/mp4' });
    opened.push(player);
    await player.play();
    const state = await untilPlayedOrFailed(player, 1);
    expect(state.error).toBeNull();
    expect(state.videoHeight).toBe(360);
    await screenshot(player.page, 'signed-playback-mp4');
    const seen = playRequests(url);
    expect(seen.length).toBeGreaterThan(0);
    expect(
      seen.every((r) => [200, 206].includes(r.status)),
      JSON.stringify(seen.map((r) => r.status)),
    ).toBe(true);
    expect(seen.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
    expect(seen.filter((r) => r.headers.cookie !== undefined)).toEqual([]);
  });

  it('plays the HLS signed URL in hls.js: the playlists and segments resolve under the token, with no header', async () => {
    const { url } = await signedUrl('hls');
    expect(new URL(url).pathname).toMatch(/\/master\.m3u8$/);
    // No API key at all: the page could not send one if it tried.
    const player: HlsPlayer = await openHlsPlayer(browser, { pageOrigin: pages.origin, src: url });
    opened.push(player);
    await player.play();
    const state = await waitForHlsState(
      player,
      'hls.js to play past 1 s',
      (s) => s.currentTime > 1 && s.fragments.length > 0,
    );
    expect(state.levels.length).toBeGreaterThan(0);
    const seen = playRequests(url);
    const paths = seen.map((r) => r.url.split('/').slice(3).join('/'));
    expect(paths).toContain('master.m3u8');
    expect(paths.some((p) => /^v\d+\/index\.m3u8$/.test(p))).toBe(true);
    expect(paths.some((p) => /\.ts$/.test(p))).toBe(true);
    expect(seen.every((r) => r.status === 200)).toBe(true);
    expect(seen.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
  });

  it('refuses an expired URL with 403 signed_url_expired, and the <video> reports an error', async () => {
    const { url, expiresAt } = await signedUrl('mp4-360p', 1);
    // Wait for the expiry itself (a JWT's exp is whole seconds), then check what the API says.
    await waitFor(async () => Date.now() > Date.parse(expiresAt) + 1000, {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: 'the URL to expire',
    });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('signed_url_expired');
    const player = await openVideoPlayer(browser, { pageOrigin: pages.origin, src: url, type: 'video/mp4' });
    opened.push(player);
    await player.play();
    const state = await untilPlayedOrFailed(player, 0);
    expect(state.error).toMatch(/^(MediaError|play\(\) refused)/);
    expect(state.currentTime).toBe(0);
    expect(playRequests(url).some((r) => r.status === 403)).toBe(true);
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getPreset, type HlsPreset, type Job } from '@kiln/jobs';
import { makeClip, waitFor, walkHlsPlaylists } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import {
  openHlsPlayer,
  startHlsPageServer,
  waitForHlsState as until,
  type HlsPageServer,
  type HlsPlayer,
} from '../support/hls-player.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/**
 * 10 s of 720p at 12 fps: three segments per rendition (4 + 4 + 2 s, enough to play and switch
 * mid-way), all three rungs of the ladder (none is above the input), cheap to encode.
 */
const CLIP = { seconds: 10, width: 1280, height: 720, fps: 12, audio: true };
const LADDER_HEIGHTS = (getPreset('hls') as HlsPreset).renditions.map((r) => r.height).filter((h) => h <= CLIP.height);

describe('HLS output played by hls.js in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let job: Job;
  const players: HlsPlayer[] = [];
  let pages: HlsPageServer;
  const key = () => stack.customers[0]!.key;

  beforeAll(async () => {
    // The player page has an origin of its own, allowed by the API's CORS as a dashboard's is.
    pages = await startHlsPageServer();
    [stack, browser] = await Promise.all([
      startTestStack({ customers: ['acme'], workers: 1, env: { KILN_DASHBOARD_ORIGINS: pages.origin } }),
      launchChromium(),
    ]);
    const input = path.join(stack.inputRoot, 'ladder.mp4');
    await copyFile(await makeClip(CLIP), input);
    const api = apiClient(stack.apiUrl, key());
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'hls' }],
    });
    expect(created.status).toBe(202);
    await waitFor(
      async () => {
        job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 150_000, intervalMs: 200, message: 'the HLS job to finish' },
    );
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
  }, 240_000);
  afterAll(async () => {
    for (const p of players) await p.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await pages?.stop();
  });

  it('names the master playlist as downloadPath, and every URI of every playlist resolves to a file the API serves', async () => {
    const hls = job.outputs[0]!;
    expect(hls.downloadPath).toBe(`/v1/jobs/${job.id}/outputs/hls/master.m3u8`);
    const walk = await walkHlsPlaylists(`${stack.apiUrl}${hls.downloadPath}`, (u) =>
      fetch(u, { headers: { authorization: `Bearer ${key()}` } }),
    );
    expect(walk.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.url} (named by ${e.from})`)).toEqual([]);
    // One master, one media playlist per rung, and at least three segments each: every listed file is reached, nothing else.
    const playlists = walk.filter((e) => e.playlist);
    expect(playlists).toHaveLength(1 + LADDER_HEIGHTS.length);
    const prefix = `${stack.apiUrl}/v1/jobs/${job.id}/outputs/hls/`;
    expect(walk.map((e) => e.url.slice(prefix.length)).sort()).toEqual(hls.files!.map((f) => f.path).sort());
    for (const e of walk) expect(e.bytes, e.url).toBe(hls.files!.find((f) => prefix + f.path === e.url)!.sizeBytes);
    for (const e of playlists) expect(e.contentType).toBe('application/vnd.apple.mpegurl');
    const segments = walk.filter((e) => !e.playlist);
    expect(segments.every((e) => e.contentType === 'video/mp2t')).toBe(true);
    expect(segments.length).toBeGreaterThanOrEqual(3 * LADDER_HEIGHTS.length);
  });

  it('lists every rendition, plays, and switches to another rendition whose fragments then load and play', async () => {
    const player = await openHlsPlayer(browser, {
      pageOrigin: pages.origin,
      src: `${stack.apiUrl}${job.outputs[0]!.downloadPath}`,
      apiKey: key(),
    });
    players.push(player);
    const parsed = await until(player, 'the master playlist to be parsed', (s) => s.levels.length > 0);
    expect(parsed.levels.map((l) => l.height).sort((a, b) => b - a)).toEqual(LADDER_HEIGHTS);
    expect(parsed.levels.every((l) => l.bitrate > 0)).toBe(true);

    await player.play();
    const playing = await until(player, 'playback to pass 1.5 s', (s) => s.currentTime > 1.5 && s.currentLevel >= 0);
    const from = playing.currentLevel;
    // The rung furthest from the one playing: a real change of picture size.
    const target = parsed.levels.reduce(
      (best, l, i) =>
        Math.abs(l.height - parsed.levels[from]!.height) >
        Math.abs(parsed.levels[best]!.height - parsed.levels[from]!.height)
          ? i
          : best,
      from,
    );
    expect(target).not.toBe(from);
    const fragmentsBefore = playing.fragments.length;
    await player.setLevel(target);

    const switched = await until(
      player,
      `LEVEL_SWITCHED to level ${target} and a fragment of it`,
      (s) => s.switched.includes(target) && s.fragments.slice(fragmentsBefore).some((f) => f.level === target),
    );
    expect(switched.levelsLoaded).toContain(target);
    const targetHeight = parsed.levels[target]!.height;
    const after = await until(
      player,
      `the ${targetHeight}p picture to play on`,
      (s) => s.videoHeight === targetHeight && s.currentTime > switched.currentTime + 1,
    );
    expect(after.currentLevel).toBe(target);
    expect(after.paused).toBe(false);
    await screenshot(player.page, 'hls-playback');
  });

  it('plays from the bare output path older job records carry, through its redirect to the master playlist', async () => {
    const player = await openHlsPlayer(browser, {
      pageOrigin: pages.origin,
      src: `${stack.apiUrl}/v1/jobs/${job.id}/outputs/hls`,
      apiKey: key(),
    });
    players.push(player);
    const loaded = await until(
      player,
      'a media playlist and a fragment of it from the old path',
      (s) => s.levels.length > 0 && s.levelsLoaded.length > 0 && s.fragments.length > 0,
    );
    expect(loaded.levels).toHaveLength(LADDER_HEIGHTS.length);
    expect(loaded.fragments[0]!.url).toContain(`/v1/jobs/${job.id}/outputs/hls/v`);
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DASH_MANIFEST_FILE, getPreset, type CmafPreset, type Job } from '@kiln/jobs';
import { makeClip, waitFor, walkHlsPlaylists, withSubtitles } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { openDashPlayer, startDashPageServer, waitForDashState, type DashPlayer } from '../support/dash-player.js';
import { openHlsPlayer, startHlsPageServer, waitForHlsState, type HlsPlayer } from '../support/hls-player.js';
import type { PlayerPageServer } from '../support/player-page.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** 10 s of 720p at 12 fps: three 4 s segments per representation (4 + 4 + 2), all three rungs, cheap to encode. */
const CLIP = { seconds: 10, width: 1280, height: 720, fps: 12, audio: true };
/** Two subtitle streams in the input (MP4 timed text, as SubRip converts): each becomes a caption track of both manifests. */
const SUBTITLES = [
  { language: 'eng', srt: '1\n00:00:01,000 --> 00:00:02,000\nHello there\n' },
  { language: 'fra', srt: '1\n00:00:06,000 --> 00:00:07,500\nBonjour\n' },
];
const LADDER_HEIGHTS = (getPreset('cmaf') as CmafPreset).renditions
  .map((r) => r.height)
  .filter((h) => h <= CLIP.height);

describe('CMAF output: one set of fMP4 segments played through its HLS master by hls.js and its MPD by dash.js', () => {
  let stack: TestStack;
  let browser: Browser;
  let job: Job;
  let hlsPages: PlayerPageServer;
  let dashPages: PlayerPageServer;
  const players: (HlsPlayer | DashPlayer)[] = [];
  const key = () => stack.customers[0]!.key;
  const outputUrl = (file: string) => `${stack.apiUrl}/v1/jobs/${job.id}/outputs/cmaf/${file}`;

  beforeAll(async () => {
    [hlsPages, dashPages] = await Promise.all([startHlsPageServer(), startDashPageServer()]);
    [stack, browser] = await Promise.all([
      startTestStack({
        customers: ['acme'],
        workers: 1,
        env: { KILN_DASHBOARD_ORIGINS: `${hlsPages.origin},${dashPages.origin}` },
      }),
      launchChromium(),
    ]);
    const input = path.join(stack.inputRoot, 'ladder.mp4');
    await copyFile(await withSubtitles(await makeClip(CLIP), SUBTITLES), input);
    const api = apiClient(stack.apiUrl, key());
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'cmaf' }, { preset: 'captions' }],
    });
    expect(created.status).toBe(202);
    await waitFor(
      async () => {
        job = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 150_000, intervalMs: 200, message: 'the CMAF job to finish' },
    );
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
  }, 240_000);
  afterAll(async () => {
    for (const p of players) await p.close().catch(() => undefined);
    await browser?.close();
    await stack?.stop();
    await hlsPages?.stop();
    await dashPages?.stop();
  });

  it('records a stream: the master playlist as downloadPath, the duration, the top rung size', () => {
    expect(job.outputs[0]).toMatchObject({
      preset: 'cmaf',
      status: 'completed',
      contentType: 'application/vnd.apple.mpegurl',
      downloadPath: `/v1/jobs/${job.id}/outputs/cmaf/master.m3u8`,
      width: 1280,
      height: 720,
    });
    expect(job.outputs[0]!.durationSeconds).toBeCloseTo(CLIP.seconds, 0);
  });

  it("serves a captions output's sidecars: one WebVTT file per subtitle stream, the first its downloadPath", async () => {
    const captions = job.outputs[1]!;
    expect(captions).toMatchObject({
      status: 'completed',
      contentType: 'text/vtt',
      downloadPath: `/v1/jobs/${job.id}/outputs/captions/captions-01.vtt`,
    });
    expect(captions.files!.map((f) => f.path)).toEqual(['captions-01.vtt', 'captions-02.vtt']);
    const texts = await Promise.all(
      captions.files!.map(async (f) => {
        const res = await fetch(`${stack.apiUrl}/v1/jobs/${job.id}/outputs/captions/${f.path}`, {
          headers: { authorization: `Bearer ${key()}` },
        });
        expect(res.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
        return res.text();
      }),
    );
    expect(texts[0]).toMatch(/^WEBVTT\n[\s\S]*00:01\.000 --> 00:02\.000\nHello there/);
    expect(texts[1]).toMatch(/00:06\.000 --> 00:07\.500\nBonjour/);
  });

  it('serves every file of both manifests with its media type: playlists, the MPD, init segments and fMP4 segments', async () => {
    const out = job.outputs[0]!;
    const get = (u: string) => fetch(u, { headers: { authorization: `Bearer ${key()}` } });
    const walk = await walkHlsPlaylists(`${stack.apiUrl}${out.downloadPath}`, get);
    expect(walk.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.url} (named by ${e.from})`)).toEqual([]);
    // The HLS side reaches every file but the MPD: master, 6 media playlists (3 video, 3 audio), their init and media segments.
    const listed = out.files!.map((f) => f.path).sort();
    expect(walk.map((e) => e.url.slice(outputUrl('').length)).sort()).toEqual(
      listed.filter((f) => f !== DASH_MANIFEST_FILE),
    );
    const types = new Map(walk.map((e) => [path.extname(e.url), e.contentType]));
    expect(Object.fromEntries(types)).toEqual({
      '.m3u8': 'application/vnd.apple.mpegurl',
      '.mp4': 'video/mp4',
      '.m4s': 'video/iso.segment',
      '.vtt': 'text/vtt; charset=utf-8',
    });
    expect(walk.filter((e) => e.url.endsWith('.vtt'))).toHaveLength(SUBTITLES.length);
    expect(walk.filter((e) => e.url.endsWith('.m4s'))).toHaveLength(3 * 2 * LADDER_HEIGHTS.length);

    const mpd = await get(outputUrl(DASH_MANIFEST_FILE));
    expect(mpd.status).toBe(200);
    expect(mpd.headers.get('content-type')).toBe('application/dash+xml');
    const text = await mpd.text();
    expect(text).toContain('type="static"');
    expect(text.match(/<Representation /g)).toHaveLength(2 * LADDER_HEIGHTS.length + SUBTITLES.length);
    expect(text.match(/<AdaptationSet contentType="text" mimeType="text\/vtt" lang="(\w+)">/g)).toHaveLength(2);
  });

  it('plays the HLS master to the end with hls.js (fMP4 through MSE), every rung listed', async () => {
    const player = await openHlsPlayer(browser, {
      pageOrigin: hlsPages.origin,
      src: `${stack.apiUrl}${job.outputs[0]!.downloadPath}`,
      apiKey: key(),
    });
    players.push(player);
    const parsed = await waitForHlsState(player, 'the master playlist to be parsed', (s) => s.levels.length > 0);
    expect(parsed.levels.map((l) => l.height).sort((a, b) => b - a)).toEqual(LADDER_HEIGHTS);
    expect(parsed.levels.every((l) => l.bitrate > 0)).toBe(true);
    expect(parsed.subtitleTracks).toEqual([
      { lang: 'en', name: 'English' },
      { lang: 'fr', name: 'French' },
    ]);
    await player.play();
    const ended = await waitForHlsState(player, 'playback to the end', (s) => s.ended, 60_000);
    // The default (first) track's cue, where the input has it on the video's timeline.
    const hello = ended.cues.find((c) => c.text === 'Hello there');
    expect(hello, JSON.stringify(ended.cues)).toMatchObject({ language: 'en' });
    expect(hello!.start).toBeCloseTo(1, 1);
    expect(hello!.end).toBeCloseTo(2, 1);
    expect(ended.currentTime).toBeGreaterThan(CLIP.seconds - 0.5);
    expect(ended.videoHeight).toBeGreaterThan(0);
    // Three segments of the main stream, each an fMP4 segment of the level that played.
    expect(new Set(ended.fragments.map((f) => f.sn)).size).toBeGreaterThanOrEqual(3);
    expect(ended.fragments.every((f) => f.url.endsWith('.m4s'))).toBe(true);
    await screenshot(player.page, 'cmaf-hls-playback');
  });

  it('plays the MPD with dash.js: every representation listed, a switch of rung mid-way, on to the end', async () => {
    const player = await openDashPlayer(browser, {
      pageOrigin: dashPages.origin,
      src: outputUrl(DASH_MANIFEST_FILE),
      apiKey: key(),
    });
    players.push(player);
    const loaded = await waitForDashState(player, 'the MPD to be loaded', (s) => s.video.length > 0);
    expect(loaded.video.map((r) => r.height).sort((a, b) => b - a)).toEqual(LADDER_HEIGHTS);
    expect(loaded.audio).toHaveLength(LADDER_HEIGHTS.length);
    expect(loaded.text).toEqual([{ lang: 'en' }, { lang: 'fr' }]);
    await player.play();
    const playing = await waitForDashState(
      player,
      'playback to pass 1.5 s',
      (s) => s.currentTime > 1.5 && s.videoHeight > 0,
    );
    // The rung furthest in height from the one on screen: a real change of picture size.
    const target = loaded.video.reduce((best, r) =>
      Math.abs(r.height - playing.videoHeight) > Math.abs(best.height - playing.videoHeight) ? r : best,
    );
    expect(target.height).not.toBe(playing.videoHeight);
    await player.setVideo(target.id);
    await waitForDashState(
      player,
      `the ${target.height}p representation on screen`,
      (s) => s.videoHeight === target.height && s.rendered.includes(target.id),
    );
    const ended = await waitForDashState(player, 'playback to the end', (s) => s.ended, 60_000);
    expect(ended.currentTime).toBeGreaterThan(CLIP.seconds - 0.5);
    const media = ended.segments.filter((s) => s.type === 'MediaSegment');
    expect(media.filter((s) => s.mediaType === 'video').length).toBeGreaterThanOrEqual(3);
    expect(media.filter((s) => s.mediaType === 'audio').length).toBeGreaterThanOrEqual(3);
    expect(ended.segments.every((s) => s.url.startsWith(outputUrl('')))).toBe(true);
    await screenshot(player.page, 'cmaf-dash-playback');
  });
});

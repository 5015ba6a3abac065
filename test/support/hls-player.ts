import { createRequire } from 'node:module';
import { waitFor } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { startPlayerPageServer, videoTextCues, type PlayerPageServer, type TextCue } from './player-page.js';

/** What the page records of one hls.js player, read with {@link HlsPlayer.state}. */
export interface HlsPlayerState {
  /** The levels of the parsed master, in hls.js order; empty until MANIFEST_PARSED. */
  levels: { height: number; width: number; bitrate: number; url: string }[];
  /** The subtitle renditions of the parsed master, in hls.js order. */
  subtitleTracks: { lang: string | null; name: string }[];
  /** The cues hls.js has put on the video's text tracks so far. */
  cues: TextCue[];
  /** `hls.currentLevel` (-1 before a level was chosen). */
  currentLevel: number;
  /** Every LEVEL_SWITCHED, in order. */
  switched: number[];
  /** Every LEVEL_LOADED (a media playlist fetched and parsed), by level. */
  levelsLoaded: number[];
  /** Every FRAG_LOADED of the main stream, in order. */
  fragments: { level: number; sn: number | string; url: string }[];
  /** Every ERROR hls.js reported, fatal or not. */
  errors: { type: string; details: string; fatal: boolean; url: string | null; status: number | null }[];
  currentTime: number;
  videoHeight: number;
  paused: boolean;
  /** The video played to its end. */
  ended: boolean;
}

/** One hls.js player in a page of its own, playing `src` with the bearer key on every request. */
export interface HlsPlayer {
  page: Page;
  state(): Promise<HlsPlayerState>;
  /** Starts `video.play()` (muted, so no user gesture is needed); a refusal is recorded as a fatal error. */
  play(): Promise<void>;
  /** `hls.currentLevel = level`: an immediate switch (the buffer is flushed and refilled from that level). */
  setLevel(level: number): Promise<void>;
  close(): Promise<void>;
}

const HLS_JS = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

/** The server of the hls.js player page ({@link startPlayerPageServer}). */
export type HlsPageServer = PlayerPageServer;

/** Serves a blank page that loads hls.js (the dist file from node_modules); see {@link startPlayerPageServer}. */
export function startHlsPageServer(): Promise<HlsPageServer> {
  return startPlayerPageServer('hls.js', { '/hls.min.js': HLS_JS });
}

/**
 * Opens the page of a {@link startHlsPageServer} and starts playing `src` in a muted `<video>`
 * with hls.js. hls.js fetches with XHR, so with an `apiKey` `xhrSetup` adds the `Authorization`
 * header a plain player cannot send; without one (a signed URL) the page never holds a key and
 * sends no header. The requests are cross-origin, as a customer's player page makes them.
 */
export async function openHlsPlayer(
  browser: Browser,
  opts: { pageOrigin: string; src: string; apiKey?: string | undefined },
): Promise<HlsPlayer> {
  const page = await browser.newPage();
  await page.goto(`${opts.pageOrigin}/`);
  await page.evaluate(
    ({ src, apiKey }) => {
      type Listener = (event: string, data: Record<string, unknown>) => void;
      interface HlsLike {
        on(event: string, fn: Listener): void;
        loadSource(src: string): void;
        attachMedia(video: HTMLVideoElement): void;
        currentLevel: number;
      }
      interface HlsClass {
        new (config: Record<string, unknown>): HlsLike;
        Events: Record<string, string>;
        isSupported(): boolean;
      }
      const w = window as unknown as {
        Hls: HlsClass;
        __hls: HlsLike;
        __video: HTMLVideoElement;
        __state: Omit<HlsPlayerState, 'currentLevel' | 'currentTime' | 'videoHeight' | 'paused' | 'ended' | 'cues'>;
      };
      const { Hls } = w;
      if (!Hls.isSupported()) throw new Error('hls.js: MediaSource is not supported in this browser');
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      document.body.append(video);
      const state: (typeof w)['__state'] = {
        levels: [],
        subtitleTracks: [],
        switched: [],
        levelsLoaded: [],
        fragments: [],
        errors: [],
      };
      const hls = new Hls({
        ...(apiKey === null
          ? {}
          : { xhrSetup: (xhr: XMLHttpRequest) => xhr.setRequestHeader('Authorization', `Bearer ${apiKey}`) }),
        // The test picks levels itself; the player size must not cap them.
        capLevelToPlayerSize: false,
      });
      const E = Hls.Events;
      hls.on(E.MANIFEST_PARSED!, (_e, d) => {
        state.levels = (d.levels as { height: number; width: number; bitrate: number; url: string[] }[]).map((l) => ({
          height: l.height,
          width: l.width,
          bitrate: l.bitrate,
          url: l.url[0]!,
        }));
        state.subtitleTracks = ((d.subtitleTracks ?? []) as { lang?: string; name: string }[]).map((t) => ({
          lang: t.lang ?? null,
          name: t.name,
        }));
      });
      hls.on(E.LEVEL_SWITCHED!, (_e, d) => void state.switched.push(d.level as number));
      hls.on(E.LEVEL_LOADED!, (_e, d) => void state.levelsLoaded.push(d.level as number));
      hls.on(E.FRAG_LOADED!, (_e, d) => {
        const frag = d.frag as { level: number; sn: number | string; url: string; type: string };
        if (frag.type === 'main') state.fragments.push({ level: frag.level, sn: frag.sn, url: frag.url });
      });
      hls.on(E.ERROR!, (_e, d) => {
        const ctx = d.context as { url?: string } | undefined;
        const res = d.response as { code?: number } | undefined;
        state.errors.push({
          type: String(d.type),
          details: String(d.details),
          fatal: d.fatal === true,
          url: (d.url as string | undefined) ?? ctx?.url ?? null,
          status: res?.code ?? null,
        });
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      Object.assign(w, { __hls: hls, __video: video, __state: state });
    },
    { src: opts.src, apiKey: opts.apiKey ?? null },
  );

  return {
    page,
    state: async () => ({
      ...(await page.evaluate(() => {
        const w = window as unknown as {
          __hls: { currentLevel: number };
          __video: HTMLVideoElement;
          __state: Omit<HlsPlayerState, 'currentLevel' | 'currentTime' | 'videoHeight' | 'paused' | 'ended' | 'cues'>;
        };
        return {
          ...structuredClone(w.__state),
          currentLevel: w.__hls.currentLevel,
          currentTime: w.__video.currentTime,
          videoHeight: w.__video.videoHeight,
          paused: w.__video.paused,
          ended: w.__video.ended,
        };
      })),
      cues: await page.evaluate(videoTextCues),
    }),
    // Not awaited in the page: play() settles only once media data arrives, which a broken stream never sends.
    play: () =>
      page.evaluate(() => {
        const w = window as unknown as { __video: HTMLVideoElement; __state: { errors: HlsPlayerState['errors'] } };
        w.__video.play().catch((err: Error) =>
          w.__state.errors.push({
            type: 'play',
            details: `${err.name}: ${err.message}`,
            fatal: true,
            url: null,
            status: null,
          }),
        );
      }),
    setLevel: (level) =>
      page.evaluate((l) => {
        (window as unknown as { __hls: { currentLevel: number } }).__hls.currentLevel = l;
      }, level),
    close: () => page.close(),
  };
}

/**
 * Waits until `done` holds for the player's state, failing at once (with what hls.js said) on a
 * fatal error or any network error: on loopback a failed playlist or fragment request is a wrong
 * URL or a refused request (hls.js would retry it, and fail over between levels, for minutes).
 */
export async function waitForHlsState(
  player: HlsPlayer,
  what: string,
  done: (s: HlsPlayerState) => boolean,
  timeoutMs = 60_000,
): Promise<HlsPlayerState> {
  let last: HlsPlayerState | undefined;
  const broken = (s: HlsPlayerState) => s.errors.filter((e) => e.fatal || e.type === 'networkError');
  await waitFor(
    async () => {
      last = await player.state();
      return done(last) || broken(last).length > 0;
    },
    { timeoutMs, intervalMs: 100, message: what },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; player state: ${JSON.stringify(last)}`);
  });
  expect(broken(last!), `hls.js errors while waiting for ${what}`).toEqual([]);
  return last!;
}

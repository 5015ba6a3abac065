import { createRequire } from 'node:module';
import { waitFor } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { startPlayerPageServer, videoTextCues, type PlayerPageServer, type TextCue } from './player-page.js';

/** What the page records of one dash.js player, read with {@link DashPlayer.state}. */
export interface DashPlayerState {
  /** The video representations of the MPD (width, height, bandwidth), in dash.js order; empty until STREAM_INITIALIZED. */
  video: { id: string; width: number; height: number; bandwidth: number }[];
  /** The audio representations' bandwidths. */
  audio: number[];
  /** The text tracks of the MPD (their languages). */
  text: { lang: string | null }[];
  /** The cues dash.js has put on the video's text tracks so far. */
  cues: TextCue[];
  /** Every QUALITY_CHANGE_RENDERED of the video: the representation id now on screen. */
  rendered: string[];
  /** Every segment dash.js loaded, in order: init or media, of which type, from which URL. */
  segments: { mediaType: string; type: string; url: string }[];
  /** Every ERROR event dash.js sent. */
  errors: { code: number | null; message: string }[];
  currentTime: number;
  videoHeight: number;
  paused: boolean;
  /** The video played to its end. */
  ended: boolean;
}

/** One dash.js player in a page of its own, playing an MPD with the bearer key on every request. */
export interface DashPlayer {
  page: Page;
  state(): Promise<DashPlayerState>;
  /** Starts `video.play()` (muted, so no user gesture is needed); a refusal is recorded as an error. */
  play(): Promise<void>;
  /** Switches the video to the representation with this id at once (ABR is off: the test picks). */
  setVideo(id: string): Promise<void>;
  close(): Promise<void>;
}

// The UMD build: a classic script that defines the `dashjs` global.
const DASH_JS = createRequire(import.meta.url).resolve('dashjs');

/** Serves a blank page that loads dash.js (the dist file from node_modules); see {@link startPlayerPageServer}. */
export function startDashPageServer(): Promise<PlayerPageServer> {
  return startPlayerPageServer('dash.js', { '/dash.all.min.js': DASH_JS });
}

type PageState = Omit<DashPlayerState, 'currentTime' | 'videoHeight' | 'paused' | 'ended' | 'cues'>;

/**
 * Opens the page of a {@link startDashPageServer} and loads `src` (an MPD) into a muted `<video>`
 * with dash.js, ABR off. A request interceptor adds the `Authorization` header to every request
 * (manifest and segments), as a customer's player page would; the requests are cross-origin.
 */
export async function openDashPlayer(
  browser: Browser,
  opts: { pageOrigin: string; src: string; apiKey: string },
): Promise<DashPlayer> {
  const page = await browser.newPage();
  await page.goto(`${opts.pageOrigin}/`);
  await page.evaluate(
    ({ src, apiKey }) => {
      interface Rep {
        id: string;
        width: number;
        height: number;
        bandwidth: number;
      }
      interface Request {
        headers?: Record<string, string>;
      }
      interface PlayerLike {
        updateSettings(settings: object): void;
        addRequestInterceptor(fn: (r: Request) => Promise<Request>): void;
        on(event: string, fn: (e: Record<string, unknown>) => void): void;
        initialize(video: HTMLVideoElement, src: string, autoPlay: boolean): void;
        getRepresentationsByType(type: 'video' | 'audio'): Rep[];
        getTracksFor(type: 'text'): { lang?: string }[];
      }
      const w = window as unknown as {
        dashjs: { MediaPlayer(): { create(): PlayerLike } };
        __dash: PlayerLike;
        __video: HTMLVideoElement;
        __state: PageState;
      };
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      document.body.append(video);
      const state: PageState = { video: [], audio: [], text: [], rendered: [], segments: [], errors: [] };
      const player = w.dashjs.MediaPlayer().create();
      player.updateSettings({
        debug: { logLevel: 1 },
        streaming: { abr: { autoSwitchBitrate: { video: false, audio: false } } },
      });
      player.addRequestInterceptor((r) => {
        r.headers = { ...r.headers, Authorization: `Bearer ${apiKey}` };
        return Promise.resolve(r);
      });
      player.on('streamInitialized', () => {
        state.video = player
          .getRepresentationsByType('video')
          .map((r) => ({ id: r.id, width: r.width, height: r.height, bandwidth: r.bandwidth }));
        state.audio = player.getRepresentationsByType('audio').map((r) => r.bandwidth);
        state.text = player.getTracksFor('text').map((t) => ({ lang: t.lang ?? null }));
      });
      player.on('qualityChangeRendered', (e) => {
        const rep = e.newRepresentation as Rep | undefined;
        if (e.mediaType === 'video' && rep) state.rendered.push(rep.id);
      });
      player.on('fragmentLoadingCompleted', (e) => {
        const r = e.request as { mediaType: string; type: string; url: string };
        state.segments.push({ mediaType: r.mediaType, type: r.type, url: r.url });
      });
      player.on('error', (e) => {
        const err = e.error as { code?: number; message?: string } | undefined;
        state.errors.push({ code: err?.code ?? null, message: err?.message ?? JSON.stringify(e.error) });
      });
      player.initialize(video, src, false);
      Object.assign(w, { __dash: player, __video: video, __state: state });
    },
    { src: opts.src, apiKey: opts.apiKey },
  );

  return {
    page,
    state: async () => ({
      ...(await page.evaluate(() => {
        const w = window as unknown as { __video: HTMLVideoElement; __state: PageState };
        return {
          ...structuredClone(w.__state),
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
        const w = window as unknown as { __video: HTMLVideoElement; __state: PageState };
        w.__video.play().catch((err: Error) => w.__state.errors.push({ code: null, message: `play: ${err.message}` }));
      }),
    setVideo: (id) =>
      page.evaluate((rep) => {
        const w = window as unknown as {
          __dash: { setRepresentationForTypeById(type: string, id: string, forceReplace: boolean): void };
        };
        w.__dash.setRepresentationForTypeById('video', rep, true);
      }, id),
    close: () => page.close(),
  };
}

/** Waits until `done` holds for the player's state, failing at once (with what dash.js said) on any error. */
export async function waitForDashState(
  player: DashPlayer,
  what: string,
  done: (s: DashPlayerState) => boolean,
  timeoutMs = 60_000,
): Promise<DashPlayerState> {
  let last: DashPlayerState | undefined;
  await waitFor(
    async () => {
      last = await player.state();
      return done(last) || last.errors.length > 0;
    },
    { timeoutMs, intervalMs: 100, message: what },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; player state: ${JSON.stringify(last)}`);
  });
  expect(last!.errors, `dash.js errors while waiting for ${what}`).toEqual([]);
  return last!;
}

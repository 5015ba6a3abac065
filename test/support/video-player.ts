import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Browser, Page } from 'playwright-core';

/** A loopback server for a plain `<video>` page, see {@link startVideoPageServer}. */
export interface VideoPageServer {
  /** `http://127.0.0.1:<port>`; the page is at `${origin}/`, the API's paths under `${origin}/api`. */
  origin: string;
  stop(): Promise<void>;
}

/** The upstream response headers a media element needs (type, length, ranges, validators). */
const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified'];

/**
 * Serves a blank page at `/` and proxies `/api/<path>` to `<apiUrl>/<path>`, adding the customer's
 * bearer key and passing the `Range` header on, as a customer's own backend would: a plain
 * `<video src>` cannot send the key itself.
 */
export async function startVideoPageServer(opts: { apiUrl: string; apiKey: string }): Promise<VideoPageServer> {
  const html = '<!doctype html><html><head><title>video</title></head><body></body></html>';
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    if (!url.startsWith('/api/')) return void res.writeHead(404).end();
    const range = req.headers.range;
    void (async () => {
      const upstream = await fetch(`${opts.apiUrl}${url.slice('/api'.length)}`, {
        headers: { authorization: `Bearer ${opts.apiKey}`, ...(range ? { range } : {}) },
      });
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = upstream.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      res.writeHead(upstream.status, headers);
      if (!upstream.body) return void res.end();
      await pipeline(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>), res);
    })().catch(() => {
      // The player dropped a request it no longer needs (it does, between range requests).
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the page records of its `<video>`, read with {@link VideoPlayer.state}. */
export interface VideoPlayerState {
  /** `video.canPlayType` of the type asked about when the player was opened. */
  canPlay: string;
  /** Frames presented so far (`requestVideoFrameCallback`). */
  frames: number;
  currentTime: number;
  videoWidth: number;
  videoHeight: number;
  ended: boolean;
  /** `MediaError` code and message once the element failed, or a refused `play()`. */
  error: string | null;
}

/** One plain `<video>` in a page of its own. */
export interface VideoPlayer {
  page: Page;
  state(): Promise<VideoPlayerState>;
  /** Starts `video.play()` (muted, so no user gesture is needed); a refusal is recorded as the error. */
  play(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the page of a {@link startVideoPageServer} with a muted `<video src>` of `src` (no script
 * player, no MSE: the browser's own demuxer and decoder), counting the frames it presents.
 */
export async function openVideoPlayer(
  browser: Browser,
  opts: { pageOrigin: string; src: string; type: string },
): Promise<VideoPlayer> {
  const page = await browser.newPage();
  await page.goto(`${opts.pageOrigin}/`);
  await page.evaluate(
    ({ src, type }) => {
      const video = document.createElement('video');
      const state = { canPlay: video.canPlayType(type), frames: 0, error: null as string | null };
      const count = (): void => {
        state.frames++;
        video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
      video.addEventListener('error', () => {
        state.error = `MediaError ${video.error?.code ?? '?'}: ${video.error?.message ?? ''}`;
      });
      video.muted = true;
      video.playsInline = true;
      video.preload = 'auto';
      video.src = src;
      document.body.append(video);
      Object.assign(window, { __video: video, __state: state });
    },
    { src: opts.src, type: opts.type },
  );
  return {
    page,
    state: () =>
      page.evaluate(() => {
        const w = window as unknown as {
          __video: HTMLVideoElement;
          __state: Pick<VideoPlayerState, 'canPlay' | 'frames' | 'error'>;
        };
        const v = w.__video;
        return {
          ...w.__state,
          currentTime: v.currentTime,
          videoWidth: v.videoWidth,
          videoHeight: v.videoHeight,
          ended: v.ended,
        };
      }),
    // Not awaited in the page: play() settles only once media data arrives, which a broken file never sends.
    play: () =>
      page.evaluate(() => {
        const w = window as unknown as { __video: HTMLVideoElement; __state: { error: string | null } };
        w.__video.play().catch((err: Error) => {
          w.__state.error = `play() refused: ${err.name}: ${err.message}`;
        });
      }),
    close: () => page.close(),
  };
}

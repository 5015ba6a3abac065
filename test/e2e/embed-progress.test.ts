import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, makeCorruptFile, waitFor } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { startCustomerSite, type CustomerSite } from '../support/embed-page.js';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

interface ViewerToken {
  token: string;
  channel: string;
  expiresAt: string;
}
/** What the page's listener keeps of each `kiln-*` event. */
interface PageEvent {
  type: string;
  jobId: string;
  status?: string;
  percent?: number | null;
  output?: string;
  seq?: number;
}
/** A Pusher protocol frame the page's WebSocket received. */
interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
}
/** What the element's shadow root shows. */
interface ElementState {
  status: string | null;
  label: string;
  message: string;
  videoHidden: boolean;
  engine: string | undefined;
  currentTime: number;
  ended: boolean;
  src: string;
}

/** 8 s of 640x360: HLS (one rung) and an MP4, enough for several progress events at a 250 ms interval. */
const CLIP = { seconds: 8, width: 640, height: 360, fps: 24, audio: true };
const ORDER = ['queued', 'probing', 'encoding', 'storing', 'completed'];

function elementState(page: Page): Promise<ElementState> {
  return page.evaluate(() => {
    const el = document.querySelector('kiln-progress')!;
    const root = el.shadowRoot!;
    const video = root.querySelector('video')!;
    return {
      status: el.getAttribute('status'),
      label: root.querySelector('[part="status"]')!.textContent ?? '',
      message:
        root.querySelector<HTMLElement>('[part="message"]')!.hidden === true
          ? ''
          : (root.querySelector('[part="message"]')!.textContent ?? ''),
      videoHidden: video.hidden === true,
      engine: video.dataset['engine'],
      currentTime: video.currentTime,
      ended: video.ended,
      src: video.currentSrc || video.src,
    };
  });
}

/** The hls.js chunk of the embed bundle, as the API serves it. */
const hlsChunkUrl = (apiUrl: string) => new RegExp(`^${apiUrl}/embed/hls-[^/]+\\.js$`);

const pageEvents = (page: Page) =>
  page.evaluate(() => (window as unknown as { __kilnEvents: PageEvent[] }).__kilnEvents);

/** Every Pusher frame the page's WebSockets receive, and every header-carrying request it sends. */
interface PageRecord {
  frames: Frame[];
  /** Every Authorization header the page sent. */
  authHeaders: string[];
  errors: string[];
  /** Every request the page made, and whether it carried an Authorization header. */
  requests: { url: string; auth: boolean }[];
}

function recordPage(page: Page): PageRecord {
  const frames: Frame[] = [];
  const authHeaders: string[] = [];
  const requests: PageRecord['requests'] = [];
  // What the page logged as errors: the first thing to read when the element shows nothing.
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      const msg = JSON.parse(String(f.payload)) as { event: string; channel?: string; data?: string };
      let data: unknown = msg.data;
      try {
        data = typeof msg.data === 'string' ? JSON.parse(msg.data) : msg.data;
      } catch {
        // a plain string
      }
      frames.push({ event: msg.event, ...(msg.channel ? { channel: msg.channel } : {}), data });
    }),
  );
  page.on('request', (r) => {
    const auth = r.headers()['authorization'];
    requests.push({ url: r.url(), auth: auth !== undefined });
    if (auth !== undefined) authHeaders.push(auth);
  });
  return { frames, authHeaders, errors, requests };
}

describe('<kiln-progress> on a customer page, with a viewer token only', () => {
  let stack: TestStack;
  let browser: Browser;
  let site: CustomerSite;
  let clipUrl: string;
  let watched: Job;
  let other: Job;
  let viewer: ViewerToken;
  const key = () => stack.customers[0]!.key;
  const acme = () => apiClient(stack.apiUrl, key());

  beforeAll(async () => {
    // No worker yet: both jobs wait until the page watches, so everything it shows after comes live.
    [stack, browser] = await Promise.all([startTestStack({ customers: ['acme'], workers: 0 }), launchChromium()]);
    site = await startCustomerSite(stack.apiUrl);
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip(CLIP), clip);
    clipUrl = pathToFileURL(clip).href;
    const create = async (outputs: { preset: string }[]) => {
      const res = await acme()<Job>('POST', '/v1/jobs', { input: clipUrl, outputs });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body;
    };
    watched = await create([{ preset: 'hls' }, { preset: 'mp4-360p' }]);
    other = await create([{ preset: 'mp4-360p' }]);
    // The customer's backend mints the token for its viewer, with its API key.
    const minted = await acme()<ViewerToken>('POST', '/v1/realtime/viewer-tokens', { jobId: watched.id });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    viewer = minted.body;
    expect(viewer.channel).toBe(`private-job-${watched.id}`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
    await stack?.stop();
  });

  it("shows its job live to completion and a playing player, and receives nothing of the customer's other job", async () => {
    // The customer's own subscriber on its channel: the other job's events are published while the page watches.
    const customer = await connectCustomerClient(stack.apiUrl, key());
    await customer.subscribed;
    const page = await browser.newPage();
    const seen = recordPage(page);
    try {
      await page.goto(site.watchUrl(watched.id, viewer.token));
      await waitFor(
        async () =>
          seen.frames.some(
            (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === viewer.channel,
          ) && (await elementState(page)).status === 'queued',
        { timeoutMs: 20_000, message: 'the element to subscribe to its job channel and show the queued job' },
      ).catch(async (err: Error) => {
        throw new Error(
          `${err.message}; element: ${JSON.stringify(await elementState(page))}; page errors: ${seen.errors.join(' | ')}`,
        );
      });
      expect((await elementState(page)).label).toBe('Waiting to start');

      await stack.addWorker({ KILN_WORKER_CONCURRENCY: '2' });
      let state: ElementState | undefined;
      await waitFor(
        async () => {
          state = await elementState(page);
          return state.status === 'failed' || state.currentTime > 0 || state.ended;
        },
        { timeoutMs: 150_000, intervalMs: 200, message: 'the job to complete and its player to play' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; element: ${JSON.stringify(state)}`);
      });
      await screenshot(page, 'embed-progress');
      expect(state!.status).toBe('completed');
      expect(state!.label).toBe('Ready');
      expect(state!.message).toBe('');
      expect(state!.src).toMatch(new RegExp(`^(${stack.apiUrl}/play/|blob:)`));
      expect(['hls.js', 'native']).toContain(state!.engine);
      // hls.js (its own chunk of the embed bundle) is fetched only when the browser cannot play HLS itself.
      const hlsChunk = seen.requests.some((r) => hlsChunkUrl(stack.apiUrl).test(r.url));
      expect(hlsChunk).toBe(state!.engine === 'hls.js');
      expect(seen.requests.filter((r) => r.url.startsWith(`${stack.apiUrl}/play/`)).length).toBeGreaterThan(0);

      const events = await pageEvents(page);
      expect(events.every((e) => e.jobId === watched.id)).toBe(true);
      const progress = events.filter((e) => e.type === 'kiln-progress');
      const statuses = progress.map((e) => e.status!);
      expect(statuses).toContain('encoding');
      expect(statuses.at(-1)).toBe('completed');
      // Merged by seq: never backwards.
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]!.seq!).toBeGreaterThan(progress[i - 1]!.seq!);
        expect(ORDER.indexOf(progress[i]!.status!)).toBeGreaterThanOrEqual(ORDER.indexOf(progress[i - 1]!.status!));
      }
      const completed = events.filter((e) => e.type === 'kiln-completed');
      expect(completed).toEqual([expect.objectContaining({ jobId: watched.id, output: 'hls' })]);
      expect(events.some((e) => e.type === 'kiln-failed' || e.type === 'kiln-token-expired')).toBe(false);

      // Live: the job's own channel carried its progress to the page as it encoded.
      const jobEvents = seen.frames.filter((f) => f.event.startsWith('job.'));
      expect(jobEvents.filter((f) => f.event === 'job.progress').length).toBeGreaterThan(0);
      expect(jobEvents.some((f) => f.event === 'job.completed')).toBe(true);
      expect(
        jobEvents.every((f) => f.channel === viewer.channel && (f.data as { id?: string }).id === watched.id),
      ).toBe(true);

      // The other job ran at the same time, and its events went out (the customer's subscriber got them) ...
      await waitFor(() => customer.events.some((e) => e.name === 'job.completed' && e.data['id'] === other.id), {
        timeoutMs: 120_000,
        message: "the other job's job.completed on the customer channel",
      });
      expect(customer.events.some((e) => e.name === 'job.progress' && e.data['id'] === other.id)).toBe(true);
      // ... and none of it reached the page: no frame on any other channel, no frame naming the other job.
      expect(seen.frames.filter((f) => f.channel !== undefined && f.channel !== viewer.channel)).toEqual([]);
      expect(seen.frames.filter((f) => JSON.stringify(f).includes(other.id))).toEqual([]);
      // The page held the viewer token and nothing else.
      expect(new Set(seen.authHeaders)).toEqual(new Set([`Bearer ${viewer.token}`]));
    } finally {
      customer.disconnect();
      await page.close();
    }
  });

  it("refuses the token's subscription to another job's channel and to the customer channel (403)", async () => {
    const page = await browser.newPage();
    try {
      await page.goto(site.blankUrl());
      const outcome = await page.evaluate(
        async ({ api, token, channels }) => {
          const me = (await (
            await fetch(`${api}/v1/me`, { headers: { Authorization: `Bearer ${token}` } })
          ).json()) as {
            channel: string;
            pusher: { key: string; cluster: string; wsHost: string; wsPort: number; forceTLS: boolean };
          };
          type Channel = { bind(event: string, fn: (data: { status?: number }) => void): void };
          const PusherCtor = (
            window as unknown as { Pusher: new (key: string, opts: object) => { subscribe(c: string): Channel } }
          ).Pusher;
          const pusher = new PusherCtor(me.pusher.key, {
            cluster: me.pusher.cluster || 'mt1',
            wsHost: me.pusher.wsHost,
            wsPort: me.pusher.wsPort,
            forceTLS: me.pusher.forceTLS,
            enabledTransports: ['ws'],
            disableStats: true,
            channelAuthorization: {
              endpoint: `${api}/v1/realtime/auth`,
              transport: 'ajax',
              headers: { Authorization: `Bearer ${token}` },
            },
          });
          const attempt = (name: string) =>
            new Promise<{ channel: string; ok: boolean; status?: number }>((resolve) => {
              const channel = pusher.subscribe(name);
              channel.bind('pusher:subscription_succeeded', () => resolve({ channel: name, ok: true }));
              channel.bind('pusher:subscription_error', (e) =>
                resolve({ channel: name, ok: false, ...(e.status !== undefined ? { status: e.status } : {}) }),
              );
            });
          return { meChannel: me.channel, results: await Promise.all(channels.map(attempt)) };
        },
        {
          api: stack.apiUrl,
          token: viewer.token,
          channels: [`private-job-${other.id}`, 'private-customer-acme', `private-job-${watched.id}`],
        },
      );
      expect(outcome.meChannel).toBe(`private-job-${watched.id}`);
      expect(outcome.results).toEqual([
        { channel: `private-job-${other.id}`, ok: false, status: 403 },
        { channel: 'private-customer-acme', ok: false, status: 403 },
        // The control: the token's own channel is allowed from the same page.
        { channel: `private-job-${watched.id}`, ok: true },
      ]);
    } finally {
      await page.close();
    }
  });

  it('says an expired token has expired, tells the page, and re-wires when the page sets a fresh one', async () => {
    const page = await browser.newPage();
    try {
      const short = await acme()<ViewerToken>('POST', '/v1/realtime/viewer-tokens', {
        jobId: watched.id,
        ttlSeconds: 1,
      });
      expect(short.status).toBe(201);
      const expiresAt = Date.parse(short.body.expiresAt);
      // Token expiry is whole seconds: a second past expiresAt it is refused whatever the rounding.
      await waitFor(() => Date.now() > expiresAt + 1000, { timeoutMs: 10_000, message: 'the short token to expire' });
      await page.goto(site.watchUrl(watched.id, short.body.token));
      await waitFor(async () => (await pageEvents(page)).some((e) => e.type === 'kiln-token-expired'), {
        timeoutMs: 20_000,
        message: 'kiln-token-expired',
      });
      expect((await elementState(page)).message).toMatch(/expired/i);
      const fresh = await acme()<ViewerToken>('POST', '/v1/realtime/viewer-tokens', { jobId: watched.id });
      expect(fresh.status).toBe(201);
      // What a host page does on kiln-token-expired: ask its backend for a token and set it.
      await page.evaluate((token) => {
        (document.querySelector('kiln-progress') as HTMLElement & { token: string }).token = token;
      }, fresh.body.token);
      await waitFor(
        async () => {
          const s = await elementState(page);
          return s.status === 'completed' && !s.videoHidden && s.message === '';
        },
        { timeoutMs: 20_000, message: 'the element to show the completed job and its player with the fresh token' },
      );
      expect((await pageEvents(page)).filter((e) => e.type === 'kiln-completed')).toHaveLength(1);
    } finally {
      await page.close();
    }
  });
  it('shows why a job failed and tells the page once (kiln-failed)', async () => {
    if (stack.workerMetricsUrls.length === 0) await stack.addWorker();
    const corrupt = path.join(stack.inputRoot, 'corrupt.mp4');
    await copyFile(await makeCorruptFile(), corrupt);
    const created = await acme()<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(corrupt).href,
      outputs: [{ preset: 'mp4-360p' }],
    });
    expect(created.status).toBe(202);
    const minted = await acme()<ViewerToken>('POST', '/v1/realtime/viewer-tokens', { jobId: created.body.id });
    const page = await browser.newPage();
    try {
      await page.goto(site.watchUrl(created.body.id, minted.body.token));
      await waitFor(async () => (await elementState(page)).status === 'failed', {
        timeoutMs: 60_000,
        message: 'the element to show the failed job',
      });
      const truth = (await acme()<Job>('GET', `/v1/jobs/${created.body.id}`)).body;
      const state = await elementState(page);
      expect(state.label).toBe('Failed');
      expect(state.message).toBe(truth.error!.message);
      expect(state.videoHidden).toBe(true);
      const events = await pageEvents(page);
      expect(events.filter((e) => e.type === 'kiln-failed')).toEqual([
        expect.objectContaining({ jobId: created.body.id, status: undefined }),
      ]);
      expect(events.some((e) => e.type === 'kiln-completed')).toBe(false);

      // A viewer arriving after the end sees the same, also once the subscription that follows the read succeeded.
      const late = await browser.newPage();
      try {
        const seen = recordPage(late);
        await late.goto(site.watchUrl(created.body.id, minted.body.token));
        await waitFor(
          async () =>
            seen.frames.some(
              (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === minted.body.channel,
            ) && (await pageEvents(late)).some((e) => e.type === 'kiln-failed'),
          { timeoutMs: 20_000, message: 'the late page to subscribe and show the failure' },
        );
        expect((await elementState(late)).message).toBe(truth.error!.message);
      } finally {
        await late.close();
      }
    } finally {
      await page.close();
    }
  });
  it('plays HLS with hls.js, fetched from the API only then, where the browser has no native HLS', async () => {
    if (stack.workerMetricsUrls.length === 0) await stack.addWorker();
    await waitFor(async () => (await acme()<Job>('GET', `/v1/jobs/${watched.id}`)).body.status === 'completed', {
      timeoutMs: 150_000,
      message: 'the watched job to complete',
    });
    const minted = await acme()<ViewerToken>('POST', '/v1/realtime/viewer-tokens', { jobId: watched.id });
    const page = await browser.newPage();
    try {
      // This Chromium plays HLS itself; answer as Firefox or an older Chrome would.
      await page.addInitScript(() => {
        const canPlayType = HTMLMediaElement.prototype.canPlayType;
        HTMLMediaElement.prototype.canPlayType = function (type: string) {
          return /mpegurl/i.test(type) ? '' : canPlayType.call(this, type);
        };
      });
      const seen = recordPage(page);
      await page.goto(site.watchUrl(watched.id, minted.body.token));
      let state: ElementState | undefined;
      await waitFor(
        async () => {
          state = await elementState(page);
          return state.currentTime > 0.5 || state.ended || state.message !== '';
        },
        { timeoutMs: 60_000, message: 'hls.js to play the HLS output' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; element: ${JSON.stringify(state)}; page errors: ${seen.errors.join(' | ')}`);
      });
      expect(state!.message).toBe('');
      expect(state!.engine).toBe('hls.js');
      expect(state!.src).toMatch(/^blob:/);
      expect(seen.requests.filter((r) => hlsChunkUrl(stack.apiUrl).test(r.url))).toHaveLength(1);
      // Master, media playlist and segments, all from the signed URL's path, none with a header.
      const played = seen.requests.filter((r) => r.url.startsWith(`${stack.apiUrl}/play/`));
      expect(played.some((r) => r.url.endsWith('.m3u8'))).toBe(true);
      expect(played.some((r) => r.url.endsWith('.ts'))).toBe(true);
      expect(played.filter((r) => r.auth)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

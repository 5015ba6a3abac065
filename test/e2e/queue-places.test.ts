import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatPlaceInLine } from '@kiln/client';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Generous: every step waits on a state, and a slow machine only makes the jobs (and each place) last longer. */
const STEP_TIMEOUT_MS = 180_000;

/** What the page recorded: every text each queued row's place showed, in order, and the load it belongs to. */
interface PageRecord {
  texts: Record<string, string[]>;
  loadMarker: string | undefined;
}

describe('live queue places in the dashboard (one worker, one encode at a time)', () => {
  let stack: TestStack;
  let browser: Browser;
  let input: { long: string; medium: string; short: string };
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const get = async (id: string) => (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
  const create = async (file: string, presets: string[], priority: Job['priority'] = 'normal') => {
    const res = await api()<Job>('POST', '/v1/jobs', {
      input: file,
      outputs: presets.map((preset) => ({ preset })),
      priority,
    });
    expect(res.status).toBe(202);
    return res.body.id;
  };

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack({
        customers: ['acme'],
        workers: 1,
        dashboard: true,
        env: { KILN_WORKER_CONCURRENCY: '1', KILN_WORKER_PREFETCH: '0', KILN_LOG_LEVEL: 'info' },
      }),
      launchChromium(),
    ]);
    // The page is open before the jobs are created; the first job (H.264 720p from 20 s) only has
    // to outlast creating the other three. The next two take seconds each, so each place in line
    // lasts many event intervals (250 ms here); the last one only has to start.
    const clips = await Promise.all([
      makeClip({ seconds: 20, width: 1280, height: 720, audio: true }),
      makeClip({ seconds: 6, width: 1280, height: 720, audio: true }),
      makeClip({ seconds: 2, width: 640, height: 360, audio: true }),
    ]);
    const names = ['long.mp4', 'medium.mp4', 'short.mp4'];
    await Promise.all(clips.map((clip, i) => copyFile(clip, path.join(stack.inputRoot, names[i]!))));
    const url = (name: string) => pathToFileURL(path.join(stack.inputRoot, name)).href;
    input = { long: url('long.mp4'), medium: url('medium.mp4'), short: url('short.mp4') };
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /**
   * Signs in and starts recording, in the page, every text a row's place shows (a MutationObserver
   * on the table); counts the `queue.updated` frames the page's WebSocket receives.
   */
  async function openDashboard(): Promise<{ page: Page; queueFrames: () => number }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    let frames = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"event":"queue.updated"')) frames++;
      }),
    );
    await page.goto(stack.dashboardUrl);
    await page.getByTestId('api-key-input').fill(stack.customers[0]!.key);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 10_000 }).toBe('live');
    // The gate opened (`sync`): the page's re-read for it is not mistaken for polling later.
    await expect
      .poll(() => page.locator('[data-testid="event-log-entry"][data-event="sync"]').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.evaluate(() => {
      const w = window as unknown as { __places: PageRecord };
      // A reload would drop this object: its marker proves the page was never loaded again.
      w.__places = { texts: {}, loadMarker: `load-${Math.random()}` };
      const record = () => {
        for (const row of document.querySelectorAll<HTMLElement>('[data-testid="job-row"]')) {
          const id = row.dataset['jobId']!;
          const text = row.querySelector('[data-testid="job-queue"]')?.textContent ?? '';
          const seen = (w.__places.texts[id] ??= []);
          if (text !== '' && seen.at(-1) !== text) seen.push(text);
        }
      };
      new MutationObserver(record).observe(document.querySelector('[data-testid="job-rows"]')!, {
        subtree: true,
        childList: true,
        characterData: true,
      });
      record();
    });
    return { page, queueFrames: () => frames };
  }

  const placeTextOf = (page: Page, id: string) =>
    page.locator(`[data-testid="job-row"][data-job-id="${id}"] [data-testid="job-queue"]`).textContent();

  it("moves a queued row's place live as the jobs ahead start, with no reload and no re-read", async () => {
    const { page, queueFrames } = await openDashboard();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // The page's reads of the job list; from the first place shown on, none may happen.
    const reads: string[] = [];
    page.on('request', (req) => {
      if (req.method() === 'GET' && new URL(req.url()).pathname.startsWith('/v1/jobs')) reads.push(req.url());
    });

    const first = await create(input.long, ['mp4-720p']);
    await waitFor(async () => (await get(first)).status !== 'queued', { timeoutMs: STEP_TIMEOUT_MS });
    const second = await create(input.medium, ['mp4-720p']);
    const third = await create(input.medium, ['mp4-720p']);
    // Low: still behind the customer's other jobs, and the row says so with a tag.
    const fourth = await create(input.short, ['mp4-360p'], 'low');

    // The place the API gives, derived rather than guessed (3 while the first job runs).
    const queue = (await get(fourth)).queue;
    expect(queue).toBeDefined();
    const start = queue!.position;
    expect(start).toBeGreaterThanOrEqual(2);
    await page.waitForFunction(
      ({ id, prefix }) =>
        document
          .querySelector(`[data-testid="job-row"][data-job-id="${id}"] [data-testid="job-queue"]`)
          ?.textContent?.startsWith(prefix) === true,
      { id: fourth, prefix: formatPlaceInLine(start) },
      { timeout: STEP_TIMEOUT_MS },
    );
    await screenshot(page, 'queue-places-waiting');
    const tag = (id: string) =>
      page.locator(`[data-testid="job-row"][data-job-id="${id}"] [data-testid="job-priority"]`);
    expect(await tag(fourth).textContent()).toBe('low');
    expect(await tag(fourth).isVisible()).toBe(true);
    expect(await tag(second).isHidden()).toBe(true);
    const readsBefore = reads.length;
    const framesBefore = queueFrames();

    // Each job ahead that starts moves it up one place, down to "next in line", live.
    for (let position = start - 1; position >= 1; position--) {
      await page.waitForFunction(
        ({ id, prefix }) =>
          document
            .querySelector(`[data-testid="job-row"][data-job-id="${id}"] [data-testid="job-queue"]`)
            ?.textContent?.startsWith(prefix) === true,
        { id: fourth, prefix: formatPlaceInLine(position) },
        { timeout: STEP_TIMEOUT_MS },
      );
    }
    // Then it starts: the place goes away with the queued status.
    const row = page.locator(`[data-testid="job-row"][data-job-id="${fourth}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: STEP_TIMEOUT_MS }).not.toBe('queued');
    expect(await placeTextOf(page, fourth)).toBe('');
    expect(await row.getByTestId('job-queue').isHidden()).toBe(true);

    const record = await page.evaluate(() => (window as unknown as { __places: PageRecord }).__places);
    // The same page load throughout (the marker set after sign-in is still there).
    expect(record.loadMarker).toMatch(/^load-/);
    // Every place the row showed, in order: 3rd, 2nd, next (with an ETA once one was measured).
    const shown = record.texts[fourth]!.map((t) => t.split(' · ')[0]);
    const expected = Array.from({ length: start }, (_, i) => formatPlaceInLine(start - i));
    expect(shown.filter((t, i) => t !== shown[i - 1])).toEqual(expected);
    // The moves came from queue.updated events, not from reading the jobs again.
    expect(reads.slice(readsBefore)).toEqual([]);
    expect(queueFrames() - framesBefore).toBeGreaterThanOrEqual(start - 1);
    expect(await page.locator('[data-testid="event-log-entry"][data-event="queue.updated"]').count()).toBeGreaterThan(
      0,
    );
    // The jobs ahead showed their own places while they waited.
    for (const id of [second, third]) expect(record.texts[id]?.length ?? 0).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Small enough that an oversized upload costs nothing, far above every clip the tests upload. */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

interface PercentChange {
  id: string | null;
  status: string | null;
  pct: number;
}

interface StatsBody {
  counts: Record<string, number>;
  jobsPerHour: { hour: string; count: number }[];
  meanEncodeSpeed: number | null;
}

describe('dashboard in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let clipUrl: string;
  let longClipUrl: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startTestStack({
        customers: ['acme', 'globex'],
        dashboard: true,
        env: { KILN_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) },
      }),
      launchChromium(),
    ]);
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    const longClip = path.join(stack.inputRoot, 'long-720p.mp4');
    const [short, long] = await Promise.all([
      makeClip({ seconds: 2, width: 640, height: 360, audio: true }),
      makeClip({ seconds: 16, width: 1280, height: 720, audio: true }),
    ]);
    await Promise.all([copyFile(short, clip), copyFile(long, longClip)]);
    clipUrl = pathToFileURL(clip).href;
    longClipUrl = pathToFileURL(longClip).href;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /**
   * Opens the dashboard and signs in. Every page records CSP violations in `window.__csp` (the
   * listener is injected before the page's own scripts); `beforeSignIn` runs on the loaded page.
   */
  async function signIn(key: string, beforeSignIn?: (page: Page) => Promise<void>): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
    });
    await page.goto(stack.dashboardUrl);
    await beforeSignIn?.(page);
    await page.getByTestId('api-key-input').fill(key);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 10_000 }).toBe('live');
    return page;
  }

  const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

  /** Every job of a customer, following the cursor. */
  async function allJobs(key: string): Promise<Job[]> {
    const api = apiClient(stack.apiUrl, key);
    const jobs: Job[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Job[]; nextCursor: string | null } } = await api(
        'GET',
        `/v1/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      jobs.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    return jobs;
  }

  it('signs in, submits a job from the form, and shows it complete with a working download', async () => {
    const acme = stack.customers[0]!;
    const page = await signIn(acme.key);
    expect(await page.getByTestId('customer-id').textContent()).toContain('acme');
    await page.getByTestId('new-job-input').fill(clipUrl);
    await page.getByTestId('new-job-preset').selectOption('mp4-360p');
    await page.getByTestId('new-job-submit').click();

    const row = page.getByTestId('job-row').first();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await row.getByTestId('job-progress').getAttribute('data-percent')).toBe('100');
    await screenshot(page, 'dashboard-completed');

    // The row reflects what the API says, and the download link serves the file.
    const jobs = await apiClient(stack.apiUrl, acme.key)<{ data: Job[] }>('GET', '/v1/jobs');
    const job = jobs.body.data[0]!;
    expect(await row.getAttribute('data-job-id')).toBe(job.id);
    // The output shows its size and bit rate, and its checksum in the link's tooltip.
    const output = job.outputs[0]!;
    expect(await row.getByTestId('output-link').first().getAttribute('title')).toBe(`mp4-360p · ${output.checksum}`);
    expect(await row.locator('.output').first().textContent()).toContain(
      `${output.bitrateKbps!.toLocaleString('en-US')} kbit/s`,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByTestId('output-link').first().click(),
    ]);
    const saved = await download.path();
    expect(saved).toBeTruthy();
    expect((await import('node:fs')).statSync(saved!).size).toBe(job.outputs[0]!.sizeBytes);
    // Live events reached the page. `job.created` may leave before the occupancy webhook has
    // opened the gate (the page submits right after subscribing); the `sync` snapshot covers it.
    const names = await page
      .getByTestId('event-log-entry')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    expect(names).toEqual(expect.arrayContaining(['job.progress', 'job.completed']));
    await page.close();
  });

  it('shows a job whose record exceeds 10 KB complete live, with every output as the API has it', async () => {
    const acme = stack.customers[0]!;
    const page = await signIn(acme.key);
    // One HLS rendition of 75 segments (the ladder never upscales 72p), thumbnails, two MP4s: a
    // 12 KB record, over what an event may carry.
    const input = path.join(stack.inputRoot, 'long-tiny.mp4');
    await copyFile(await makeClip({ seconds: 300, width: 128, height: 72, fps: 10, audio: false }), input);
    const api = apiClient(stack.apiUrl, acme.key);
    const created = await api<Job>('POST', '/v1/jobs', {
      input: pathToFileURL(input).href,
      outputs: [{ preset: 'hls' }, { preset: 'thumbnails' }, { preset: 'mp4-360p' }, { preset: 'mp4-480p' }],
    });
    expect(created.status).toBe(202);
    let record: Job | undefined;
    await expect
      .poll(async () => (record = (await api<Job>('GET', `/v1/jobs/${created.body.id}`)).body).status, {
        timeout: 90_000,
        interval: 250,
      })
      .toMatch(/^(completed|failed)$/);
    expect(record!.status).toBe('completed');
    expect(Buffer.byteLength(JSON.stringify(record))).toBeGreaterThan(10_240);

    // No reload: the row turns completed from the channel's job.completed (sent right after the store).
    const row = page.locator(`[data-testid="job-row"][data-job-id="${record!.id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('completed');
    const completedEvents = await page
      .locator(`[data-testid="event-log-entry"][data-event="job.completed"][data-job-id="${record!.id}"]`)
      .count();
    expect(completedEvents).toBeGreaterThanOrEqual(1);
    const links = row.getByTestId('output-link');
    expect(await links.count()).toBe(4);
    for (const [i, o] of record!.outputs.entries()) {
      expect(await links.nth(i).textContent()).toBe(o.name);
      expect(await links.nth(i).getAttribute('title')).toBe(o.checksum ? `${o.preset} · ${o.checksum}` : o.preset);
      expect(await links.nth(i).getAttribute('href')).toBe(`${stack.apiUrl}${o.downloadPath}`);
      const text = await row.locator('.output').nth(i).textContent();
      expect(text).toContain(`${o.width}×${o.height}`);
      if (typeof o.bitrateKbps === 'number') expect(text).toContain(`${o.bitrateKbps.toLocaleString('en-US')} kbit/s`);
    }
    await screenshot(page, 'dashboard-large-job');
    await page.close();
  });

  it("never shows one customer's jobs to another", async () => {
    const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const created = await acme<Job>('POST', '/v1/jobs', {
      input: clipUrl,
      outputs: [{ preset: 'mp4-360p' }],
      metadata: { title: '<img src=x onerror="window.__xss=1">' },
    });
    expect(created.status).toBe(202);
    const page = await signIn(stack.customers[1]!.key);
    await page.waitForTimeout(1500);
    expect(await page.locator(`[data-job-id="${created.body.id}"]`).count()).toBe(0);
    const events = await page
      .getByTestId('event-log-entry')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-event'), e.getAttribute('data-job-id')]));
    expect(events.filter(([name]) => name?.startsWith('job.'))).toEqual([]);
    expect(events.some(([, id]) => id === created.body.id)).toBe(false);
    // The other customer's XSS payload never ran anywhere.
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await screenshot(page, 'dashboard-other-customer');
    await page.close();
  });

  it('uploads a chosen file, creates the job with the upload as input, and shows it complete', async () => {
    const acme = stack.customers[0]!;
    const page = await signIn(acme.key);
    const file = await makeClip({ seconds: 2, width: 320, height: 240, audio: true });
    await page.getByTestId('new-job-file').setInputFiles(file);
    // A chosen file replaces the URL field.
    expect(await page.getByTestId('new-job-input').isDisabled()).toBe(true);
    await page.getByTestId('new-job-preset').selectOption('mp4-360p');
    await page.getByTestId('new-job-submit').click();

    let job: Job | undefined;
    await expect
      .poll(
        async () => {
          job = (await allJobs(acme.key)).find((j) => j.input.startsWith('upload://'));
          return job?.id;
        },
        { timeout: 30_000 },
      )
      .toBeTruthy();
    const row = page.locator(`[data-testid="job-row"][data-job-id="${job!.id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await row.getByTestId('job-progress').getAttribute('data-percent')).toBe('100');
    expect(await row.getByTestId('output-link').count()).toBe(1);
    // The form is ready for the next job: no file, URL field back, no error, upload bar gone.
    expect(await page.getByTestId('new-job-file').evaluate((i: HTMLInputElement) => i.files?.length ?? 0)).toBe(0);
    expect(await page.getByTestId('new-job-input').isDisabled()).toBe(false);
    expect(await page.getByTestId('form-error').isHidden()).toBe(true);
    expect(await page.getByTestId('upload-status').isHidden()).toBe(true);
    await page.waitForTimeout(400); // the bar's width transition
    await screenshot(page, 'dashboard-upload');
    await page.close();
  });

  it('shows the refusal of an oversized upload in the form and creates no job', async () => {
    const acme = stack.customers[0]!;
    const before = (await allJobs(acme.key)).length;
    const page = await signIn(acme.key);
    await page
      .getByTestId('new-job-file')
      .setInputFiles({ name: 'too-big.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 1) });
    await page.getByTestId('new-job-submit').click();
    const error = page.getByTestId('form-error');
    await expect.poll(() => error.isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await error.textContent()).toContain(`KILN_MAX_UPLOAD_BYTES (${MAX_UPLOAD_BYTES} bytes)`);
    expect(await page.getByTestId('new-job-submit').isEnabled()).toBe(true);
    expect((await allJobs(acme.key)).length).toBe(before);
    await screenshot(page, 'dashboard-upload-too-large');
    await page.close();
  });

  it('opened mid-job, shows the running job with rising progress and ends in the state the API reports', async () => {
    const acme = stack.customers[0]!;
    const api = apiClient(stack.apiUrl, acme.key);
    // H.264 and VP9 of a 16 s clip: seconds of encoding left after the browser signs in, on any machine.
    const created = await api<Job>('POST', '/v1/jobs', {
      input: longClipUrl,
      outputs: [{ preset: 'mp4-720p' }, { preset: 'webm-720p' }],
    });
    expect(created.status).toBe(202);
    const id = created.body.id;
    await expect
      .poll(async () => (await api<Job>('GET', `/v1/jobs/${id}`)).body.status, { timeout: 60_000, interval: 100 })
      .toBe('encoding');

    // Record every change of a progress bar (with its row's status at that moment) from before sign-in.
    const page = await signIn(acme.key, (p) =>
      p.evaluate(() => {
        const changes: PercentChange[] = [];
        (window as unknown as { __percents: PercentChange[] }).__percents = changes;
        new MutationObserver((records) => {
          for (const r of records) {
            const bar = r.target as HTMLElement;
            const row = bar.closest('tr');
            changes.push({
              id: row?.getAttribute('data-job-id') ?? null,
              status: row?.getAttribute('data-status') ?? null,
              pct: Number(bar.dataset['percent']),
            });
          }
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-percent'] });
      }),
    );
    const row = page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');

    const seen = (await page.evaluate(() => (window as unknown as { __percents: PercentChange[] }).__percents)).filter(
      (c) => c.id === id,
    );
    const risesWhileEncoding = seen.filter(
      (c, i) => i > 0 && c.status === 'encoding' && c.pct < 100 && c.pct > seen[i - 1]!.pct,
    );
    expect(risesWhileEncoding.length, JSON.stringify(seen)).toBeGreaterThanOrEqual(1);

    // The page ends exactly where the API is: same status, same seq, 100%, and the same jobs.
    const final = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
    expect(final.status).toBe('completed');
    await expect.poll(() => row.getAttribute('data-seq'), { timeout: 10_000 }).toBe(String(final.seq));
    expect(await row.getAttribute('data-status')).toBe(final.status);
    expect(await row.getByTestId('job-progress').getAttribute('data-percent')).toBe('100');
    const apiJobs = await allJobs(acme.key);
    expect(await page.getByTestId('job-row').count()).toBe(apiJobs.length);
    expect(await page.getByTestId('jobs-count').textContent()).toBe(String(apiJobs.length));
    await page.waitForTimeout(400);
    await screenshot(page, 'dashboard-mid-job');
    await page.close();
  });

  it("cancels a running job, retries it and deletes it from its row's buttons", async () => {
    const globex = stack.customers[1]!;
    const api = apiClient(stack.apiUrl, globex.key);
    // H.264 and VP9 of a 16 s clip: still running after the browser signs in, on any machine.
    const id = (
      await api<Job>('POST', '/v1/jobs', {
        input: longClipUrl,
        outputs: [{ preset: 'mp4-1080p' }, { preset: 'webm-720p' }],
      })
    ).body.id;
    const page = await signIn(globex.key);
    const row = page.locator(`[data-testid="job-row"][data-job-id="${id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toMatch(/^(probing|encoding)$/);
    expect(await row.getByTestId('job-delete').count(), 'no delete while it runs').toBe(0);

    await row.getByTestId('job-cancel').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    expect((await api<Job>('GET', `/v1/jobs/${id}`)).body.status).toBe('cancelled');

    await row.getByTestId('job-retry').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).not.toBe('cancelled');
    await row.getByTestId('job-cancel').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('cancelled');
    await screenshot(page, 'dashboard-row-actions');

    // Deleting asks first; declined, nothing happens.
    page.once('dialog', (d) => void d.dismiss());
    await row.getByTestId('job-delete').click();
    expect((await api('GET', `/v1/jobs/${id}`)).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await row.getByTestId('job-delete').click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    expect((await api('GET', `/v1/jobs/${id}`)).status).toBe(404);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });

  it('draws jobs per hour as 24 SVG bars and summarises counts and speed, within the CSP', async () => {
    const acme = stack.customers[0]!;
    const stats = (await apiClient(stack.apiUrl, acme.key)<StatsBody>('GET', '/v1/stats')).body;
    expect(stats.counts['completed']).toBeGreaterThan(0);
    const page = await signIn(acme.key);
    const chart = page.getByTestId('throughput-chart');
    await expect.poll(() => chart.locator('rect').count(), { timeout: 10_000 }).toBe(24);
    const summary = page.getByTestId('stats-summary');
    await expect
      .poll(() => summary.textContent(), { timeout: 10_000 })
      .toContain(`${stats.counts['completed']} completed`);
    expect(await summary.textContent()).toMatch(/Mean encode speed: \d+(\.\d)?× real time/);

    // The bars carry the API's counts (summed: robust to an hour boundary between the two reads).
    const bars = await chart
      .locator('rect')
      .evaluateAll((rects) =>
        rects.map((r) => ({ count: Number(r.getAttribute('data-count')), height: Number(r.getAttribute('height')) })),
      );
    const total = stats.jobsPerHour.reduce((sum, h) => sum + h.count, 0);
    expect(bars.reduce((sum, b) => sum + b.count, 0)).toBe(total);
    expect(Math.max(...bars.map((b) => b.height))).toBeGreaterThan(50);
    expect(await cspViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-stats');
    await page.close();
  });
});

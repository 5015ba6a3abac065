import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip } from '@kiln/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

describe('dashboard in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let clipUrl: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack({ customers: ['acme', 'globex'], dashboard: true }), launchChromium()]);
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 2, width: 640, height: 360, audio: true }), clip);
    clipUrl = pathToFileURL(clip).href;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function signIn(key: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(stack.dashboardUrl);
    await page.getByTestId('api-key-input').fill(key);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 10_000 }).toBe('live');
    return page;
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
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('output-link').first().click()]);
    const saved = await download.path();
    expect(saved).toBeTruthy();
    expect((await import('node:fs')).statSync(saved!).size).toBe(job.outputs[0]!.sizeBytes);
    // Live events reached the page (created, progress, completed).
    const names = await page.getByTestId('event-log-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
    expect(names).toEqual(expect.arrayContaining(['job.created', 'job.progress', 'job.completed']));
    await page.close();
  });

  it("never shows one customer's jobs to another", async () => {
    const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const created = await acme<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }], metadata: { title: '<img src=x onerror="window.__xss=1">' } });
    expect(created.status).toBe(202);
    const page = await signIn(stack.customers[1]!.key);
    await page.waitForTimeout(1500);
    expect(await page.locator(`[data-job-id="${created.body.id}"]`).count()).toBe(0);
    const events = await page.getByTestId('event-log-entry').evaluateAll((els) => els.map((e) => [e.getAttribute('data-event'), e.getAttribute('data-job-id')]));
    expect(events.filter(([name]) => name?.startsWith('job.'))).toEqual([]);
    expect(events.some(([, id]) => id === created.body.id)).toBe(false);
    // The other customer's XSS payload never ran anywhere.
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await screenshot(page, 'dashboard-other-customer');
    await page.close();
  });
});

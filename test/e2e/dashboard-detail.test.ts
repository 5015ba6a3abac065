import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { WebhookEndpointRepository } from '@kiln/customer-webhooks';
import { makeClip, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';

interface Delivery {
  id: string;
  url: string;
  eventType: string;
  webhookId: string;
  status: string;
  attempts: unknown[];
}

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  secret?: string;
}

const HOOK_PATH = '/hooks/kiln';

/** The job event a receiver got: its `webhook-id`, type and job. */
function eventOf(r: ReceivedWebhook): { webhookId: string; type: string; jobId: string | undefined } {
  const payload = JSON.parse(r.body) as { type: string; data?: { job?: { id?: string } } };
  return { webhookId: String(r.headers['webhook-id']), type: payload.type, jobId: payload.data?.job?.id };
}

describe('dashboard job detail and webhook endpoints in headless Chromium', () => {
  let stack: TestStack;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let hookUrl: string;
  let clipUrl: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [stack, browser, receiver] = await Promise.all([
      startTestStack({
        customers: ['acme'],
        dashboard: true,
        env: { KILN_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', KILN_SIGNING_SECRET: 'x'.repeat(40) },
      }),
      launchChromium(),
      startWebhookReceiver(),
    ]);
    hookUrl = `${receiver.url}${HOOK_PATH}`;
    const clip = path.join(stack.inputRoot, 'detail.mp4');
    await copyFile(await makeClip({ seconds: 2, width: 320, height: 240, audio: true }), clip);
    clipUrl = pathToFileURL(clip).href;
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await receiver?.stop();
    await stack?.stop();
  });

  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);

  /** A page signed in (clipboard allowed, CSP violations recorded in `window.__csp`) at `hash`. */
  async function signIn(hash = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.dashboardUrl });
    const page = await context.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
    });
    await page.goto(`${stack.dashboardUrl}/${hash}`);
    await page.getByTestId('api-key-input').fill(stack.customers[0]!.key);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('connection-status').textContent(), { timeout: 10_000 }).toBe('live');
    return page;
  }

  const sent = () => receiver.at(HOOK_PATH).map(eventOf);
  const cspViolations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

  async function deliveriesOf(jobId: string): Promise<Delivery[]> {
    return (await api()<{ deliveries: Delivery[] }>('GET', `/v1/jobs/${jobId}/deliveries`)).body.deliveries;
  }

  it('follows a job live in its detail view; completed, its MP4 plays from a signed URL, its delivery is replayed', async () => {
    const endpoint = await api()<Endpoint>('POST', '/v1/webhook-endpoints', {
      url: hookUrl,
      events: ['job.completed'],
    });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    const page = await signIn();
    // Every status and percent the detail view shows, from before the job exists.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __detail: string[] }).__detail = seen;
      new MutationObserver(() => {
        const root = document.querySelector<HTMLElement>('[data-testid="job-detail"]');
        const bar = document.querySelector<HTMLElement>('[data-testid="detail-progress"]');
        if (root?.dataset['status']) seen.push(`${root.dataset['status']} ${bar?.dataset['percent'] ?? ''}`);
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status', 'data-percent'] });
    });
    const created = await api()<Job>('POST', '/v1/jobs', {
      input: clipUrl,
      outputs: [{ preset: 'mp4-360p' }, { preset: 'hls' }, { preset: 'thumbnails' }],
      metadata: { title: 'detail view' },
    });
    expect(created.status).toBe(202);
    const id = created.body.id;

    // From the list, the job's id opens its detail at a URL of its own, while the job still runs.
    await page.locator(`[data-testid="job-row"][data-job-id="${id}"] [data-testid="job-open"]`).click();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${id}`);
    const detail = page.getByTestId('job-detail');
    await expect.poll(() => detail.getAttribute('data-status'), { timeout: 90_000 }).toBe('completed');
    const seen = await page.evaluate(() => (window as unknown as { __detail: string[] }).__detail);
    expect(
      seen.some((s) => !s.startsWith('completed')),
      JSON.stringify(seen),
    ).toBe(true);
    expect(seen.at(-1)).toBe('completed 100');
    expect(await page.getByTestId('list-view').isHidden()).toBe(true);
    expect(await detail.getByTestId('detail-input').textContent()).toContain('detail view');
    const job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
    expect(job.status).toBe('completed');
    await expect.poll(() => detail.getAttribute('data-seq'), { timeout: 10_000 }).toBe(String(job.seq));
    // The worker's probe of the input, from the record (no event carries it).
    expect(job.inputProbe).toMatchObject({
      video: { codec: 'h264', width: 320, height: 240 },
      audio: { codec: 'aac' },
    });
    const input = await detail.getByTestId('detail-input').textContent();
    expect(input).toContain('h264 · 320×240 · 25 fps');
    expect(input).toContain('aac · mono · 48 kHz');

    // The MP4 plays in the page's own <video> from a signed /play/ URL (no key, no header).
    const mp4 = detail.locator('[data-testid="detail-output"][data-output-name="mp4-360p"]');
    const video = mp4.getByTestId('output-video');
    await expect.poll(() => video.getAttribute('src'), { timeout: 10_000 }).toMatch(/\/play\//);
    const src = (await video.getAttribute('src'))!;
    expect(src.startsWith(`${stack.apiUrl}/play/`)).toBe(true);
    expect(await mp4.getByTestId('signed-url').inputValue()).toBe(src);
    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime > 0 || v.ended), { timeout: 20_000 })
      .toBe(true);
    await mp4.getByTestId('copy-signed-url').click();
    await expect.poll(() => clipboard(page)).toBe(src);

    // The HLS output plays through hls.js (MediaSource, within the page's CSP) from its signed master playlist.
    const hls = detail.locator('[data-testid="detail-output"][data-output-name="hls"]').getByTestId('output-video');
    await expect.poll(() => hls.getAttribute('data-player'), { timeout: 10_000 }).toBe('hls.js');
    await hls.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await expect
      .poll(() => hls.evaluate((v: HTMLVideoElement) => v.currentTime > 0 || v.ended), { timeout: 20_000 })
      .toBe(true);

    // Every thumbnail of the job's record is shown, loaded through the same kind of signed URL.
    const thumbnails = detail.getByTestId('output-thumbnail');
    const files = job.outputs.find((o) => o.name === 'thumbnails')!.files!;
    await expect.poll(() => thumbnails.count(), { timeout: 10_000 }).toBe(files.length);
    await expect
      .poll(() => thumbnails.evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)), {
        timeout: 10_000,
      })
      .toBe(true);

    // The delivery to the receiver is listed (the view watches the list after the job ends);
    // replaying it sends the same webhook-id again.
    await waitFor(() => sent().some((e) => e.jobId === id && e.type === 'job.completed'), { timeoutMs: 30_000 });
    const row = detail.locator('[data-testid="delivery-row"][data-event-type="job.completed"]');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded');
    expect(await row.textContent()).toContain(hookUrl);
    const webhookId = sent().find((e) => e.jobId === id && e.type === 'job.completed')!.webhookId;
    const sentBefore = sent().filter((e) => e.webhookId === webhookId).length;
    const attemptsBefore = Number(await row.getAttribute('data-attempts'));
    await row.getByTestId('delivery-replay').click();
    await waitFor(() => sent().filter((e) => e.webhookId === webhookId).length > sentBefore, {
      timeoutMs: 30_000,
    });
    await expect
      .poll(async () => Number(await row.getAttribute('data-attempts')), { timeout: 15_000 })
      .toBeGreaterThan(attemptsBefore);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');
    const listed = (await deliveriesOf(id)).find((d) => d.webhookId === webhookId)!;
    expect(Number(await row.getAttribute('data-attempts'))).toBe(listed.attempts.length);
    await screenshot(page, 'dashboard-job-detail');

    // The detail survives a reload, and its back link returns to the list.
    await page.reload();
    await expect.poll(() => detail.getAttribute('data-status'), { timeout: 15_000 }).toBe('completed');
    expect(await page.getByTestId('detail-job-id').textContent()).toBe(id);
    await page.getByTestId('back-to-jobs').click();
    await expect.poll(() => page.getByTestId('list-view').isVisible()).toBe(true);
    expect(await detail.isHidden()).toBe(true);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('adds a webhook endpoint from its page with its secret shown once, re-enables, rotates and deletes it', async () => {
    const page = await signIn();
    await page.getByTestId('nav-webhooks').click();
    const view = page.getByTestId('webhooks-view');
    await expect.poll(() => view.isVisible()).toBe(true);
    const url = `${hookUrl}?from=page`;
    await view.getByTestId('endpoint-url').fill(url);
    await view.getByTestId('endpoint-event-output.completed').uncheck();
    await view.getByTestId('endpoint-add').click();

    const secretBox = view.getByTestId('secret-once');
    await expect.poll(() => secretBox.isVisible(), { timeout: 10_000 }).toBe(true);
    const secret = await view.getByTestId('secret-value').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(await view.getByTestId('secret-warning').textContent()).toContain('you will not see it again');
    await view.getByTestId('secret-copy').click();
    await expect.poll(() => clipboard(page)).toBe(secret);

    const listed = (await api()<{ endpoints: Endpoint[] }>('GET', '/v1/webhook-endpoints')).body.endpoints;
    const endpoint = listed.find((e) => e.url === url)!;
    expect(endpoint.events.sort()).toEqual(['job.cancelled', 'job.completed', 'job.failed']);
    expect(endpoint.secret).toBeUndefined();
    const row = view.locator(`[data-testid="endpoint-row"][data-endpoint-id="${endpoint.id}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-status')).toBe('enabled');
    await screenshot(page, 'dashboard-webhooks-secret');

    // Once dismissed (or the page reloaded) the secret is nowhere on the page.
    await view.getByTestId('secret-dismiss').click();
    expect(await secretBox.isHidden()).toBe(true);
    await page.reload();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.content()).not.toContain(secret);

    // An endpoint the worker's disable-after rule turned off shows why, and Enable turns it back on.
    const redis = new Redis(stack.redisUrl);
    try {
      const endpoints = new WebhookEndpointRepository(redis, stack.prefix);
      await endpoints.recordAttempt(endpoint, { ok: false, error: 'HTTP 500', at: 1_000 }, 1);
      const verdict = await endpoints.recordAttempt(endpoint, { ok: false, error: 'HTTP 500', at: 2_000 }, 1);
      expect(verdict.disable).toContain('HTTP 500');
    } finally {
      redis.disconnect();
    }
    await page.reload();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('disabled');
    expect(await row.getByTestId('endpoint-disabled-reason').textContent()).toContain('last error: HTTP 500');
    await row.getByTestId('endpoint-enable').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('enabled');
    expect(await row.getByTestId('endpoint-disabled-reason').count()).toBe(0);
    expect(
      (await api()<Endpoint & { status: string }>('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body.status,
    ).toBe('enabled');

    // Rotating shows the new secret once; deleting asks first.
    await row.getByTestId('endpoint-rotate').click();
    await expect.poll(() => secretBox.isVisible(), { timeout: 10_000 }).toBe(true);
    const rotated = await view.getByTestId('secret-value').inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    page.once('dialog', (d) => void d.dismiss());
    await row.getByTestId('endpoint-delete').click();
    expect((await api()('GET', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(200);
    page.once('dialog', (d) => void d.accept());
    await row.getByTestId('endpoint-delete').click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    expect((await api()('GET', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    expect(await cspViolations(page)).toEqual([]);
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PRESET_POOLS, type Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../support/browser.js';
import { killHard } from '../support/process-tree.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

/** The parts of `GET /v1/admin/fleet` this test reads. */
interface FleetView {
  workers: {
    id: string;
    host: string;
    pid: number;
    lastSeenSecondsAgo: number;
    jobs: { id: string; customerId: string; status: string; percent: number; speed: number | null }[];
  }[];
  jobsPerMinute: number;
  slotsOnline: Record<string, number>;
}

const ADMIN = { user: 'ops', password: 'fleet-view-s3cret' };
const BASIC = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
/** The promise: a SIGKILLed worker is off the fleet view within this long of the kill. */
const DROP_OFF_MS = 30_000;

describe('the fleet view: workers online with their jobs, and a SIGKILLed worker dropping off', () => {
  let stack: TestStack;
  let browser: Browser | undefined;
  let input: (name: string) => string;
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const fleet = async (): Promise<FleetView> => {
    const res = await fetch(`${stack.apiUrl}/v1/admin/fleet`, { headers: { authorization: BASIC } });
    if (res.status !== 200) throw new Error(`GET /v1/admin/fleet answered ${res.status}`);
    return (await res.json()) as FleetView;
  };
  const pidsOnline = async () => (await fleet()).workers.map((w) => w.pid).sort((a, b) => a - b);

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 2,
      env: {
        KILN_ADMIN_USER: ADMIN.user,
        KILN_ADMIN_PASSWORD: ADMIN.password,
        KILN_WORKER_CONCURRENCY: '1',
        KILN_LOG_LEVEL: 'info',
      },
    });
    // The long job encodes H.264 and VP9 at 720p from 2 min of video: far longer than a heartbeat
    // on any machine; it is cancelled as soon as the test has seen what it needs.
    await copyFile(
      await makeClip({ seconds: 120, width: 640, height: 360, audio: false }),
      path.join(stack.inputRoot, 'long.mp4'),
    );
    await copyFile(
      await makeClip({ seconds: 1, width: 160, height: 120, audio: false }),
      path.join(stack.inputRoot, 'short.mp4'),
    );
    input = (name) => pathToFileURL(path.join(stack.inputRoot, name)).href;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lists both worker processes by pid, with the gauges agreeing', async () => {
    const pids = [stack.apps.worker0!.child.pid!, stack.apps.worker1!.child.pid!].sort((a, b) => a - b);
    await waitFor(async () => JSON.stringify(await pidsOnline()) === JSON.stringify(pids), {
      timeoutMs: 15_000,
      message: `workers ${pids.join(', ')} listed`,
    });
    const view = await fleet();
    for (const w of view.workers) {
      expect(w).toMatchObject({ pools: [...PRESET_POOLS], concurrency: 1, prefetch: 0, jobs: [] });
      expect(w.id).toMatch(new RegExp(`^${w.host}:${w.pid}:[0-9a-f]{8}$`));
      expect(w.lastSeenSecondsAgo).toBeLessThanOrEqual(15);
    }
    expect(view.slotsOnline).toEqual({ cpu: 2, av1: 2 });
    expect(await readMetric(`${stack.apiUrl}/metrics`, 'kiln_workers_online')).toBe(2);
    expect(await readMetric(`${stack.apiUrl}/metrics`, 'kiln_encode_slots_online', { pool: 'cpu' })).toBe(2);
    expect((await fetch(`${stack.apiUrl}/v1/admin/fleet`)).status).toBe(401);
  });

  it('counts a finished job in jobs per minute', async () => {
    const res = await api()<Job>('POST', '/v1/jobs', { input: input('short.mp4'), outputs: [{ preset: 'mp4-360p' }] });
    expect(res.status).toBe(202);
    await waitFor(async () => (await api()<Job>('GET', `/v1/jobs/${res.body.id}`)).body.status === 'completed', {
      timeoutMs: 30_000,
      message: 'the short job to complete',
    });
    await waitFor(async () => (await fleet()).jobsPerMinute >= 1, { timeoutMs: 10_000, message: 'jobs per minute' });
  });

  it('shows a running job under its worker with progress, on the JSON and on the live page', async () => {
    const res = await api()<Job>('POST', '/v1/jobs', {
      input: input('long.mp4'),
      outputs: [{ preset: 'mp4-720p' }, { preset: 'webm-720p' }],
    });
    expect(res.status).toBe(202);
    const jobId = res.body.id;
    await waitFor(
      async () =>
        (await fleet()).workers.some((w) =>
          w.jobs.some((j) => j.id === jobId && j.status === 'encoding' && j.percent > 0 && j.speed !== null),
        ),
      { timeoutMs: 40_000, intervalMs: 250, message: 'the job listed under its worker with progress' },
    );
    const view = await fleet();
    const runner = view.workers.find((w) => w.jobs.some((j) => j.id === jobId))!;
    expect(runner.jobs).toEqual([
      { id: jobId, customerId: 'acme', status: 'encoding', percent: expect.any(Number), speed: expect.any(Number) },
    ]);
    expect(view.workers.filter((w) => w !== runner).every((w) => w.jobs.length === 0)).toBe(true);

    browser = await launchChromium();
    // Credentials in the URL, as an operator's browser remembers them after the login prompt: the
    // page's own requests to /v1/admin/fleet must get through on the browser's cache for the realm.
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const url = new URL('/admin/fleet', stack.apiUrl);
      url.username = ADMIN.user;
      url.password = ADMIN.password;
      await page.goto(url.href);
      await page
        .locator(`#workers tr[data-pid="${runner.pid}"] [data-job-id="${jobId}"] progress`)
        .waitFor({ timeout: 15_000 });
      await page.locator('#workers tbody tr[data-pid]').nth(1).waitFor({ timeout: 10_000 });
      expect(await page.locator('#workers-online').textContent()).toBe('2');
      expect(await page.locator('#by-priority tbody tr').count()).toBe(3);
    } catch (err) {
      await screenshot(page, 'fleet-view').catch(() => undefined);
      throw err;
    } finally {
      await context.close();
    }
    expect((await api()('POST', `/v1/jobs/${jobId}/cancel`)).status).toBe(200);
  });

  it(`drops a SIGKILLed worker process within ${DROP_OFF_MS / 1000} s of the kill; the other stays listed`, async () => {
    const [victim, survivor] = [stack.apps.worker0!, stack.apps.worker1!];
    const victimPid = victim.child.pid!;
    expect(await pidsOnline()).toContain(victimPid);

    const killedAt = performance.now();
    await killHard(victimPid);
    await victim.child.exited;
    await waitFor(async () => !(await pidsOnline()).includes(victimPid), {
      timeoutMs: DROP_OFF_MS - (performance.now() - killedAt),
      intervalMs: 250,
      message: `worker ${victimPid} off the fleet view`,
    });
    const droppedAfterMs = performance.now() - killedAt;
    console.log(
      `fleet view: worker ${victimPid} dropped off ${(droppedAfterMs / 1000).toFixed(1)} s after its SIGKILL`,
    );
    expect(droppedAfterMs).toBeLessThan(DROP_OFF_MS);

    expect(await pidsOnline()).toEqual([survivor.child.pid!]);
    expect(await readMetric(`${stack.apiUrl}/metrics`, 'kiln_workers_online')).toBe(1);
    expect((await fleet()).slotsOnline).toEqual({ cpu: 1, av1: 1 });
  });
});

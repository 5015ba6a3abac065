import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

type Client = ReturnType<typeof apiClient>;

/** A clip under the stack's input root, as a job input. */
async function clipInput(stack: TestStack, name: string, seconds: number, width = 320, height = 240): Promise<string> {
  const target = path.join(stack.inputRoot, name);
  await copyFile(await makeClip({ seconds, width, height, audio: false }), target);
  return pathToFileURL(target).href;
}

/**
 * Two workers can take the two next jobs at the same moment and record their starts a few
 * milliseconds apart in either order: starts this close count as simultaneous.
 */
const SIMULTANEOUS_MS = 500;
const startOf = (j: Job) => Date.parse(j.startedAt!);

async function submit(client: Client, input: string, extra: Record<string, unknown> = {}): Promise<Job> {
  const res = await client<Job>('POST', '/v1/jobs', { input, outputs: [{ preset: 'mp4-360p' }], ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

async function read(client: Client, id: string): Promise<Job> {
  return (await client<Job>('GET', `/v1/jobs/${id}`)).body;
}

async function waitForStatus(client: Client, id: string, statuses: string[], timeoutMs = 120_000): Promise<Job> {
  let job: Job | undefined;
  await waitFor(
    async () => {
      job = await read(client, id);
      return statuses.includes(job.status);
    },
    { timeoutMs, intervalMs: 100, message: `job ${id} to reach ${statuses.join('/')}` },
  );
  return job!;
}

describe('scheduling: fair share, priorities, queue places on real workers', () => {
  let stack: TestStack;
  let input: string;
  const client = (i: number) => apiClient(stack.apiUrl, stack.customers[i]!.key);

  beforeAll(async () => {
    // No worker yet: every job waits in line until the test brings the workers in.
    stack = await startTestStack({ customers: ['acme', 'globex', 'initech'], workers: 0 });
    input = await clipInput(stack, 'clip.mp4', 2);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('starts jobs in fair-share order with 3 customers on 2 workers, by priority inside a customer, as their queue places said', async () => {
    const [acme, globex, initech] = [client(0), client(1), client(2)];
    const jobs: { job: Job; customer: string; client: Client }[] = [];
    const add = async (c: Client, customer: string, extra: Record<string, unknown> = {}) =>
      jobs.push({ job: await submit(c, input, { metadata: { customer }, ...extra }), customer, client: c });
    for (let i = 0; i < 5; i++) await add(acme, 'acme');
    await add(acme, 'acme', { priority: 'high' });
    for (let i = 0; i < 3; i++) await add(globex, 'globex');
    for (let i = 0; i < 3; i++) await add(initech, 'initech', { priority: i === 2 ? 'low' : 'normal' });
    // A waiting job's priority can change; the API answers with its new place.
    const patched = await globex<Job>('PATCH', `/v1/jobs/${jobs[8]!.job.id}`, { priority: 'high' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ priority: 'high', status: 'queued', queue: { position: expect.any(Number) } });

    // Every place, read before anything runs: a permutation of 1..12, with no worker yet.
    const places = new Map<string, number>();
    for (const { job, client: c } of jobs) {
      const read1 = await read(c, job.id);
      expect(read1.queue).toMatchObject({
        pool: 'cpu',
        etaSeconds: null,
        reason: expect.stringContaining('no worker'),
      });
      places.set(job.id, read1.queue!.position);
    }
    expect([...places.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const listed = (await acme<{ data: Job[] }>('GET', '/v1/jobs?status=queued')).body.data;
    expect(listed.map((j) => j.queue?.position).sort()).toEqual(
      jobs
        .filter((j) => j.customer === 'acme')
        .map((j) => places.get(j.job.id))
        .sort(),
    );

    // The workers come in one after the other and take the jobs in line.
    await stack.addWorker();
    await stack.addWorker();
    const done = await Promise.all(jobs.map(({ job, client: c }) => waitForStatus(c, job.id, ['completed'])));
    const byPlace = [...done].sort((a, b) => places.get(a.id)! - places.get(b.id)!);
    const customerOf = (j: Job) => j.metadata.customer!;

    // They started in the order of the places the API gave (a job never started after one placed behind it).
    for (let k = 1; k < byPlace.length; k++)
      expect(startOf(byPlace[k - 1]!), `place ${k} started before place ${k + 1}`).toBeLessThanOrEqual(
        startOf(byPlace[k]!) + SIMULTANEOUS_MS,
      );
    // In that order, a customer's n-th job comes after every other customer's (n-1)-th.
    const started = new Map<string, number>();
    for (const j of byPlace) {
      const n = (started.get(customerOf(j)) ?? 0) + 1;
      for (const other of ['acme', 'globex', 'initech'])
        if (other !== customerOf(j))
          expect(started.get(other) ?? 0, `${customerOf(j)} #${n}`).toBeGreaterThanOrEqual(Math.min(n - 1, 3));
      started.set(customerOf(j), n);
    }
    // Inside one customer: high first, then by arrival, low last.
    const order = (customer: string) => byPlace.filter((j) => customerOf(j) === customer).map((j) => j.id);
    const ids = (customer: string) => jobs.filter((j) => j.customer === customer).map((j) => j.job.id);
    const [a, g, i] = [ids('acme'), ids('globex'), ids('initech')];
    expect(order('acme')).toEqual([a[5], a[0], a[1], a[2], a[3], a[4]]);
    expect(order('globex')).toEqual([g[2], g[0], g[1]]);
    expect(order('initech')).toEqual([i[0], i[1], i[2]]);
  });

  it('gives queue places and an ETA that shrink as the jobs ahead start, matching the order they started in', async () => {
    const acme = client(0);
    // The two workers of the previous test are online and have measured job times.
    const batch: Job[] = [];
    for (let n = 0; n < 8; n++) batch.push(await submit(acme, input));
    const last = batch[batch.length - 1]!;
    const seen: { position: number; eta: number | null }[] = [];
    await waitFor(
      async () => {
        const job = await read(acme, last.id);
        if (job.status !== 'queued' || !job.queue) return job.status !== 'queued';
        const prev = seen[seen.length - 1];
        if (!prev || prev.position !== job.queue.position || prev.eta !== job.queue.etaSeconds)
          seen.push({ position: job.queue.position, eta: job.queue.etaSeconds });
        return false;
      },
      { timeoutMs: 120_000, intervalMs: 50, message: 'the last job to start' },
    );
    const positions = seen.map((s) => s.position);
    expect(positions.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < positions.length; k++) expect(positions[k]).toBeLessThanOrEqual(positions[k - 1]!);
    expect(positions[positions.length - 1]).toBeLessThan(positions[0]!);
    const etas = seen.map((s) => s.eta).filter((e): e is number => e !== null);
    expect(etas.length).toBeGreaterThanOrEqual(2);
    expect(etas[etas.length - 1]).toBeLessThan(etas[0]!);
    // The last job submitted started last among the batch.
    const done = await Promise.all(batch.map((j) => waitForStatus(acme, j.id, ['completed'])));
    const lastStart = Math.max(...done.map(startOf));
    expect(startOf(done[done.length - 1]!)).toBeGreaterThanOrEqual(lastStart - SIMULTANEOUS_MS);
  });
});

describe('scheduling: running caps and pools', () => {
  let stack: TestStack;
  let longInput: string;
  let shortInput: string;

  beforeAll(async () => {
    // Every customer may run one job at once; the two workers run the cpu pool only.
    stack = await startTestStack({
      customers: ['acme', 'globex'],
      workers: 2,
      env: { KILN_LIMIT_RUNNING: '1', KILN_WORKER_POOLS: 'cpu' },
    });
    // Long enough that acme's first job is still encoding when globex's one-second job is done.
    longInput = await clipInput(stack, 'long.mp4', 90, 640, 480);
    shortInput = await clipInput(stack, 'short.mp4', 1);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("keeps a customer's second job waiting at a running cap of 1 while another customer's job runs", async () => {
    const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const globex = apiClient(stack.apiUrl, stack.customers[1]!.key);
    const first = await submit(acme, longInput, { outputs: [{ preset: 'mp4-480p' }] });
    await waitForStatus(acme, first.id, ['encoding']);
    const second = await submit(acme, shortInput);
    const other = await submit(globex, shortInput);
    // The second worker is free, yet acme's second job waits: globex's job takes it.
    await waitForStatus(globex, other.id, ['completed']);
    expect((await read(acme, first.id)).status).toBe('encoding');
    const held = await read(acme, second.id);
    expect(held.status).toBe('queued');
    expect(held.queue?.reason).toMatch(/running limit is 1 job at once/);
    // Its running place frees when the first ends (here: cancelled), and the second runs.
    expect((await acme('POST', `/v1/jobs/${first.id}/cancel`)).status).toBe(200);
    const done = await waitForStatus(acme, second.id, ['completed']);
    expect(startOf(done)).toBeGreaterThanOrEqual(Date.parse((await read(acme, first.id)).finishedAt!));
    const usage = await acme<{ running: { limit: number } }>('GET', '/v1/usage');
    expect(usage.body.running.limit).toBe(1);
  });

  it('keeps a job of a pool without a worker waiting, saying so, until a worker of that pool comes', async () => {
    const globex = apiClient(stack.apiUrl, stack.customers[1]!.key);
    const av1 = await submit(globex, shortInput, { outputs: [{ preset: 'mp4-av1-720p' }] });
    expect(av1.pool).toBe('av1');
    const cpu = await submit(globex, shortInput);
    await waitForStatus(globex, cpu.id, ['completed']);
    const waiting = await read(globex, av1.id);
    expect(waiting.status).toBe('queued');
    expect(waiting.queue).toMatchObject({
      pool: 'av1',
      etaSeconds: null,
      reason: 'no worker that runs the "av1" pool is online',
    });
    await stack.addWorker({ KILN_WORKER_POOLS: 'av1' });
    const done = await waitForStatus(globex, av1.id, ['completed']);
    expect(done.outputs[0]).toMatchObject({ preset: 'mp4-av1-720p', status: 'completed' });
  });
});

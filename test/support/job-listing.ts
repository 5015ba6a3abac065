import type { Job } from '@kiln/jobs';
import { waitFor } from '@kiln/testing';
import { expect } from 'vitest';
import type { apiClient } from './stack-harness.js';

/** Every job of a customer, read page by page through `GET /v1/jobs` (cursor pagination) as a client would. */
export async function listAllJobs(apiUrl: string, key: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await fetch(`${apiUrl}/v1/jobs?${query}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`GET /v1/jobs answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { data: Job[]; nextCursor: string | null };
    jobs.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor);
  return jobs;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * Waits until every job in `ids` has reached a final status (read through the API) and returns
 * them by id. A test then asserts *which* final status: waiting for "completed" alone would turn
 * a failed job into a timeout instead of a clear failure.
 */
export async function waitForFinalJobs(
  apiUrl: string,
  key: string,
  ids: readonly string[],
  opts: { timeoutMs: number },
): Promise<Map<string, Job>> {
  let byId = new Map<string, Job>();
  let pending = ids.length;
  await waitFor(
    async () => {
      byId = new Map((await listAllJobs(apiUrl, key)).map((j) => [j.id, j]));
      pending = ids.filter((id) => !FINAL.has(byId.get(id)?.status ?? '')).length;
      return pending === 0;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 500, message: `${ids.length} jobs to finish (${pending} still running)` },
  ).catch((err: Error) => {
    const counts: Record<string, number> = {};
    for (const id of ids) {
      const s = byId.get(id)?.status ?? 'missing';
      counts[s] = (counts[s] ?? 0) + 1;
    }
    throw new Error(`${err.message}; statuses: ${JSON.stringify(counts)}`);
  });
  return byId;
}

/** The JSON client `apiClient` returns (one customer's key). */
type Api = ReturnType<typeof apiClient>;

/** Creates `count` jobs of `input` to `mp4-360p` one after another (metadata `n` = 0, 1, …); their ids. */
export async function submitJobs(api: Api, input: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await api<Job>('POST', '/v1/jobs', {
      input,
      outputs: [{ preset: 'mp4-360p' }],
      metadata: { n: String(i) },
    });
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  return ids;
}

/** Waits until at least `count` of a customer's jobs are completed: a run caught part-way. */
export async function waitForCompleted(apiUrl: string, key: string, count: number): Promise<void> {
  await waitFor(async () => (await listAllJobs(apiUrl, key)).filter((j) => j.status === 'completed').length >= count, {
    timeoutMs: 60_000,
    intervalMs: 100,
    message: 'the first jobs to complete',
  });
}

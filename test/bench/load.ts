import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack } from '../support/stack-harness.js';
import { printTable, RESULTS_FILE, writeSection } from './results.js';

/** `npm run load -- [jobs] [watchedCustomers] [customers] [workers]` */
const [JOBS = 100, WATCHED = 3, CUSTOMERS = 10, WORKERS = 2] = process.argv.slice(2).map(Number);

async function rssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Math.round(kb / 102.4) / 10;
  } catch {
    return null;
  }
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/**
 * A load run on the real stack: JOBS short jobs spread over CUSTOMERS customers, WATCHED of them
 * watched by pusher-js clients, WORKERS worker processes. Reports throughput, the latency from a
 * worker storing a change to a client receiving it (p50, p99), Pusher requests per job and the
 * memory of every process.
 */
const customers = Array.from({ length: CUSTOMERS }, (_, i) => `load${i}`);
const stack = await startTestStack({
  customers,
  workers: WORKERS,
  env: { KILN_LOG_LEVEL: 'warn', KILN_PROGRESS_INTERVAL_MS: '500' },
});
try {
  const clip = path.join(stack.inputRoot, 'clip.mp4');
  await copyFile(await makeClip({ seconds: 2, width: 320, height: 240, audio: true }), clip);
  const input = pathToFileURL(clip).href;
  const watchers = await Promise.all(
    stack.customers.slice(0, WATCHED).map((c) => connectCustomerClient(stack.apiUrl, c.key)),
  );
  await Promise.all(watchers.map((w) => w.subscribed));
  await new Promise((r) => setTimeout(r, 300)); // occupancy webhooks land
  stack.recorder.reset();

  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: JOBS }, async (_, i) => {
      const c = stack.customers[i % CUSTOMERS]!;
      const res = await apiClient(stack.apiUrl, c.key)<Job>('POST', '/v1/jobs', {
        input,
        outputs: [{ preset: 'mp4-360p' }],
      });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, key: c.key };
    }),
  );
  const pending = new Map(ids.map((j) => [j.id, j.key]));
  await waitFor(
    async () => {
      for (const [id, key] of [...pending]) {
        const job = (await apiClient(stack.apiUrl, key)<Job>('GET', `/v1/jobs/${id}`)).body;
        if (job.status === 'completed' || job.status === 'failed') pending.delete(id);
      }
      return pending.size === 0;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 250, message: 'every job to finish' },
  );
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));

  // Latency: the job's updatedAt is when the worker stored the change; `at` is when pusher-js got it.
  const latencies = watchers.flatMap((w) =>
    w.events
      .filter((e) => e.name.startsWith('job.') && e.data.job)
      .map((e) => e.at - Date.parse((e.data.job as Job).updatedAt)),
  );
  const pusherRequests = stack.recorder.requests.filter(
    (r) => r.path.endsWith('/events') || r.path.endsWith('/batch_events'),
  ).length;
  const memory: Record<string, number | null> = {};
  for (const [name, app] of Object.entries(stack.apps)) memory[name] = await rssMb(app.child.pid);
  memory.soketi = await rssMb(stack.soketi.pid);
  for (const w of watchers) w.disconnect();

  const figures = {
    jobs: JOBS,
    customers: CUSTOMERS,
    watchedCustomers: WATCHED,
    workers: WORKERS,
    seconds: +seconds.toFixed(2),
    jobsPerSecond: +(JOBS / seconds).toFixed(2),
    eventsReceived: latencies.length,
    eventLatencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.length ? Math.max(...latencies) : null,
    },
    pusherRequests,
    pusherRequestsPerJob: +(pusherRequests / JOBS).toFixed(3),
    memoryMb: memory,
  };
  printTable(`load: ${JOBS} jobs, ${CUSTOMERS} customers (${WATCHED} watched), ${WORKERS} workers`, [
    { figure: 'throughput (jobs/s)', value: figures.jobsPerSecond },
    { figure: 'event latency p50 (ms)', value: String(figures.eventLatencyMs.p50) },
    { figure: 'event latency p99 (ms)', value: String(figures.eventLatencyMs.p99) },
    { figure: 'Pusher requests per job', value: figures.pusherRequestsPerJob },
    ...Object.entries(memory).map(([name, mb]) => ({ figure: `RSS ${name} (MB)`, value: String(mb) })),
  ]);
  await writeSection('load', figures);
  process.stdout.write(`\nresults written to ${RESULTS_FILE}\n`);
} finally {
  await stack.stop();
}
process.exit(0);

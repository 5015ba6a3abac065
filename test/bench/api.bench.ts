import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bullPrefix, ENCODE_QUEUE } from '@kiln/jobs';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestStack } from '../support/stack-harness.js';
import { compareCreatePaths } from './create-path.js';
import { printTable, writeSection } from './results.js';

const CONNECTIONS = 50;
const SECONDS = 10;

/** autocannon against the floor server (`http-floor.ts`) of one kind, for SECONDS. */
async function floorJobsPerSec(kind: 'http' | 'express', body: string): Promise<{ jobsPerSec: number; p99Ms: number }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'http-floor.js');
  const child = spawn(process.execPath, [script, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
    });
    const opts = {
      url: `http://127.0.0.1:${port}/v1/jobs`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body,
    };
    await autocannon({ ...opts, connections: 10, duration: 2 });
    const r = await autocannon({ ...opts, connections: CONNECTIONS, duration: SECONDS });
    return { jobsPerSec: Math.round((r.requests.total - r.non2xx) / SECONDS), p99Ms: r.latency.p99 };
  } finally {
    child.kill('SIGTERM');
  }
}

/**
 * The API benchmark: autocannon against `POST /v1/jobs` (50 connections, 10 s) beside the
 * ceiling, BullMQ `add` from one process with the same concurrency, on the same Redis. No worker
 * runs, so the API has the machine to itself.
 */
export async function runApiBench(): Promise<Record<string, unknown>> {
  const stack = await startTestStack({
    customers: ['bench'],
    workers: 0,
    // No worker takes the jobs: without KILN_LIMIT_QUEUED=0 every create past the 1,000th is a 429.
    env: { KILN_LOG_LEVEL: 'warn', KILN_RATE_LIMIT_PER_MIN: '0', KILN_LIMIT_QUEUED: '0' },
  });
  try {
    const body = JSON.stringify({
      input: pathToFileURL(path.join(stack.inputRoot, 'in.mp4')).href,
      outputs: [{ preset: 'mp4-720p' }],
    });
    // Warm up the API's JIT and connections.
    await autocannon({
      url: `${stack.apiUrl}/v1/jobs`,
      connections: 10,
      duration: 2,
      method: 'POST',
      headers: { authorization: `Bearer ${stack.customers[0]!.key}`, 'content-type': 'application/json' },
      body,
    });
    const result = await autocannon({
      url: `${stack.apiUrl}/v1/jobs`,
      connections: CONNECTIONS,
      duration: SECONDS,
      method: 'POST',
      headers: { authorization: `Bearer ${stack.customers[0]!.key}`, 'content-type': 'application/json' },
      body,
    });
    const jobsPerSec = (result.requests.total - result.non2xx) / SECONDS;

    // Ceiling: BullMQ add from one process, 50 in flight, for the same time.
    const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(ENCODE_QUEUE, { connection: redis, prefix: bullPrefix(`ceiling-${randomUUID()}`) });
    let added = 0;
    const deadline = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < deadline) {
          await queue.add('encode', { jobId: randomUUID(), customerId: 'bench' });
          added++;
        }
      }),
    );
    const ceilingJobsPerSec = added / SECONDS;
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();

    // Fair share on (the fair queue and a dispatcher kick) against off (BullMQ add, as before
    // issue 11): the create path past HTTP, in this process, taking turns.
    const input = pathToFileURL(path.join(stack.inputRoot, 'in.mp4')).href;
    const fairShare = await compareCreatePaths(stack.redisUrl, input);

    // What any HTTP API pays on this machine before its own work: node:http alone, and Express.
    const httpFloor = await floorJobsPerSec('http', body);
    const expressFloor = await floorJobsPerSec('express', body);

    const figures = {
      connections: CONNECTIONS,
      seconds: SECONDS,
      jobsPerSec: Math.round(jobsPerSec),
      ceilingJobsPerSec: Math.round(ceilingJobsPerSec),
      ratio: +(jobsPerSec / ceilingJobsPerSec).toFixed(3),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      floors: {
        nodeHttpNoWork: httpFloor,
        expressJsonNoWork: expressFloor,
        kilnVsExpressFloor: +(jobsPerSec / expressFloor.jobsPerSec).toFixed(3),
      },
      fairShare: {
        what: 'job record + fair queue enqueue + dispatcher kick (on) vs job record + BullMQ add (off), 50 in flight, in-process, 3 × 5 s each, alternating',
        ...fairShare,
      },
      targets: {
        atLeastHalfOfCeiling: jobsPerSec >= 0.5 * ceilingJobsPerSec,
        p99Under100Ms: result.latency.p99 < 100,
        fairShareAtLeast90PercentOfOff: fairShare.ratio >= 0.9,
      },
    };
    printTable('api: POST /v1/jobs', [
      {
        run: `autocannon, ${CONNECTIONS} connections`,
        'jobs/s': figures.jobsPerSec,
        'p50 ms': figures.p50Ms,
        'p99 ms': figures.p99Ms,
        'non-2xx': figures.non2xx,
      },
      {
        run: 'BullMQ add, one process (ceiling)',
        'jobs/s': figures.ceilingJobsPerSec,
        'p50 ms': '-',
        'p99 ms': '-',
        'non-2xx': 0,
      },
      {
        run: 'create path, fair share on (in-process)',
        'jobs/s': fairShare.onJobsPerSec,
        'p50 ms': '-',
        'p99 ms': '-',
        'non-2xx': 0,
      },
      {
        run: `create path, fair share off (ratio on/off ${fairShare.ratio})`,
        'jobs/s': fairShare.offJobsPerSec,
        'p50 ms': '-',
        'p99 ms': '-',
        'non-2xx': 0,
      },
      {
        run: 'floor: Express + JSON, no work',
        'jobs/s': expressFloor.jobsPerSec,
        'p50 ms': '-',
        'p99 ms': expressFloor.p99Ms,
        'non-2xx': 0,
      },
      {
        run: 'floor: node:http, no work',
        'jobs/s': httpFloor.jobsPerSec,
        'p50 ms': '-',
        'p99 ms': httpFloor.p99Ms,
        'non-2xx': 0,
      },
    ]);
    await writeSection('api', figures);
    return figures;
  } finally {
    await stack.stop();
  }
}

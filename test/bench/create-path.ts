import { randomUUID } from 'node:crypto';
import { DEFAULT_POOL, EncodeQueues, JobRepository, type Job } from '@kiln/jobs';
import { Dispatcher, FairQueue, FleetRepository } from '@kiln/scheduler';
import { Redis } from 'ioredis';
import { pino } from 'pino';

/** Creates in flight at once: autocannon's connections in the HTTP run. */
const IN_FLIGHT = 50;
const SECONDS = 5;
/** On, off, on, off…: the machine's speed drifts, so the variants take turns. */
const ROUNDS = 3;

type FairShare = 'on' | 'off';

/**
 * What `POST /v1/jobs` does past HTTP and validation, with fair share on and off, in this process
 * on the stack's Redis (under a key prefix of its own): the job record, then with fair share on
 * (the API as it is) the fair queue's enqueue and a dispatcher kick, with it off (the API before
 * issue 11) BullMQ `add` with the job's id. Like the API, the job store and the fair queue share
 * one connection and the BullMQ queues another. One stand-in worker (2 slots, heartbeating, taking
 * nothing) is online: its slots fill at the first pass, so every later pass is the busy farm's
 * (lock, fleet, BullMQ counts, nothing handed out). HTTP, auth and validation cost the same either
 * way, so the ratio of the whole request is at least this one's.
 */
export async function compareCreatePaths(
  redisUrl: string,
  input: string,
): Promise<{ onJobsPerSec: number; offJobsPerSec: number; ratio: number; rounds: Record<FairShare, number>[] }> {
  const prefix = `bench-create-${randomUUID()}`;
  const requests = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const store = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const repo = new JobRepository(store, prefix);
  const queues = new EncodeQueues(requests, prefix);
  const line = new FairQueue(store, prefix);
  const fleet = new FleetRepository(store, prefix);
  const worker = {
    id: 'bench-stand-in',
    host: 'bench',
    pid: process.pid,
    pools: [DEFAULT_POOL],
    concurrency: 2,
    prefetch: 0,
    startedAt: new Date().toISOString(),
    jobs: [],
  };
  await fleet.heartbeat(worker);
  const beat = setInterval(() => void fleet.heartbeat(worker), 5_000);
  const dispatcher = new Dispatcher({
    redis: store,
    line,
    fleet,
    bullQueue: (pool) => queues.for(pool),
    isFinished: async () => false,
    logger: pino({ level: 'silent' }),
  });
  const queueIt: Record<FairShare, (job: Job) => Promise<unknown>> = {
    on: async (job) => {
      await line.enqueue({
        jobId: job.id,
        customerId: job.customerId,
        pool: job.pool,
        priority: job.priority,
        runningCap: 0,
      });
      dispatcher.kick();
    },
    off: (job) => queues.for(job.pool).add('encode', { jobId: job.id, customerId: job.customerId }, { jobId: job.id }),
  };
  const jobsPerSec = async (variant: FairShare, seconds: number) => {
    let created = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < deadline) {
          const job = await repo.create({ customerId: 'bench', input, outputs: [{ preset: 'mp4-720p' }] });
          await queueIt[variant](job);
          created++;
        }
      }),
    );
    return Math.round(created / seconds);
  };
  try {
    await jobsPerSec('on', 1);
    await jobsPerSec('off', 1);
    const rounds: Record<FairShare, number>[] = [];
    for (let i = 0; i < ROUNDS; i++)
      rounds.push({ on: await jobsPerSec('on', SECONDS), off: await jobsPerSec('off', SECONDS) });
    const sum = (v: FairShare) => rounds.reduce((n, r) => n + r[v], 0);
    return {
      onJobsPerSec: Math.round(sum('on') / ROUNDS),
      offJobsPerSec: Math.round(sum('off') / ROUNDS),
      ratio: +(sum('on') / sum('off')).toFixed(3),
      rounds,
    };
  } finally {
    clearInterval(beat);
    await dispatcher.stop();
    await queues.close();
    await Promise.all([requests.quit(), store.quit()]);
  }
}

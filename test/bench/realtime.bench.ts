import { randomUUID } from 'node:crypto';
import { CUSTOMER_CHANNEL_PREFIX, customerChannel, jobEventPayload, toJobSummary, type Job } from '@kiln/jobs';
import { GatedPublisher, OccupancyMirror, OccupancyRepository, RealtimeMetrics } from '@kiln/realtime';
import { getFreePort, startApp, startRedis, startSoketi, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import Pusher from 'pusher';
import { compareJobChannel } from './job-channel.bench.js';
import { CUSTOMERS, lifecycle, newJob, PROGRESS_PER_SECOND, SECONDS } from './job-lifecycle.js';
import { authorizedClient, soketiTransport } from './soketi-parts.js';
import { printTable, writeSection } from './results.js';

const JOBS = 200;
const WATCHED = 2;
const GATE_DECISIONS = 20_000;

type Variant = 'ungated' | 'seed' | 'kiln';

/** An ioredis connection that counts the commands it sends (the publishers' Redis cost). */
function countingRedis(url: string): { redis: Redis; count: () => number } {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  let n = 0;
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = ((cmd: never) => {
    n++;
    return original(cmd);
  }) as typeof redis.sendCommand;
  return { redis, count: () => n };
}

/**
 * The realtime benchmark (issue "lossless presence-gated delivery"): the same workload through
 * (a) no gate, (b) the seed's SISMEMBER-per-event gate with one trigger per event, (c) Kiln's
 * mirrored gate with coalescing and batching, against a real soketi, real webhooks and Redis,
 * with two real pusher-js clients watching.
 */
export async function runRealtimeBench(): Promise<Record<string, unknown>> {
  const redisServer = await startRedis();
  const webhooksPort = await getFreePort();
  const soketi = await startSoketi({ webhookUrl: `http://127.0.0.1:${webhooksPort}/pusher/webhooks` });
  const prefix = `bench-${randomUUID()}`;
  const webhooks = await startApp('webhooks', {
    port: webhooksPort,
    env: {
      REDIS_URL: redisServer.url,
      KILN_REDIS_PREFIX: prefix,
      KILN_WEBHOOKS_PORT: String(webhooksPort),
      KILN_LOG_LEVEL: 'warn',
      ...soketi.pusherEnv(),
    },
  });
  const server = new Pusher({
    appId: soketi.appId,
    key: soketi.key,
    secret: soketi.secret,
    host: '127.0.0.1',
    port: String(soketi.port),
    useTLS: false,
  });
  const clients: ReturnType<typeof authorizedClient>[] = [];
  try {
    // Two watching customers, connected and authorized like the dashboard.
    const views = new Map<string, Map<string, Job>>();
    const received = { n: 0 };
    for (let c = 0; c < WATCHED; c++) {
      const channel = customerChannel(`c${c}`);
      const client = authorizedClient(soketi, server);
      clients.push(client);
      const sub = client.subscribe(channel);
      sub.bind_global((name: string, data: { job?: Job }) => {
        if (!name.startsWith('job.') || !data.job) return;
        received.n++;
        const view = views.get(channel)!;
        const known = view.get(data.job.id);
        if (!known || known.seq < data.job.seq) view.set(data.job.id, data.job);
      });
      views.set(channel, new Map());
    }
    const occupancy = new Redis(redisServer.url);
    await waitFor(async () => (await occupancy.scard(`${prefix}:occupancy:channels`)) === WATCHED, {
      timeoutMs: 10_000,
      message: 'webhooks to record the watchers',
    });
    await occupancy.quit();

    const results: Record<
      Variant,
      {
        requests: number;
        delivered: number;
        redisCommands: number;
        decisions: number;
        lossless: boolean;
        unwatchedRequests: number;
      }
    > = {} as never;
    for (const variant of ['ungated', 'seed', 'kiln'] as Variant[]) {
      for (const v of views.values()) v.clear();
      received.n = 0;
      results[variant] = await runVariant(variant, { redisUrl: redisServer.url, prefix, soketi, views, received });
    }

    const gate = await gateDecisionRates(redisServer.url, prefix);
    for (const c of clients) c.disconnect();
    const jobChannel = await compareJobChannel({ redisUrl: redisServer.url, prefix, soketi, server });
    const rows = (['ungated', 'seed', 'kiln'] as Variant[]).map((v) => ({
      variant: v,
      'pusher requests': results[v].requests,
      'requests to unwatched': results[v].unwatchedRequests,
      'events to watchers': results[v].delivered,
      'publisher redis cmds': results[v].redisCommands,
      'redis cmds/decision': results[v].decisions ? +(results[v].redisCommands / results[v].decisions).toFixed(3) : 0,
      'gate decisions/s': v === 'seed' ? Math.round(gate.seed) : v === 'kiln' ? Math.round(gate.kiln) : '-',
      'watchers exact': results[v].lossless,
    }));
    printTable(
      `realtime: ${JOBS} jobs, ${CUSTOMERS} customers, ${WATCHED} watched, ${PROGRESS_PER_SECOND} progress/s for ${SECONDS} s`,
      rows,
    );
    const figures = {
      workload: {
        jobs: JOBS,
        customers: CUSTOMERS,
        watched: WATCHED,
        progressPerSecond: PROGRESS_PER_SECOND,
        seconds: SECONDS,
      },
      pusherRequests: { ungated: results.ungated.requests, seed: results.seed.requests, kiln: results.kiln.requests },
      pusherRequestsToUnwatched: {
        ungated: results.ungated.unwatchedRequests,
        seed: results.seed.unwatchedRequests,
        kiln: results.kiln.unwatchedRequests,
      },
      eventsDelivered: {
        ungated: results.ungated.delivered,
        seed: results.seed.delivered,
        kiln: results.kiln.delivered,
      },
      gateDecisionsPerSec: { seed: Math.round(gate.seed), kiln: Math.round(gate.kiln) },
      redisCommandsPerDecision: {
        seed: +(results.seed.redisCommands / results.seed.decisions).toFixed(3),
        kiln: +(gate.kilnCommands / GATE_DECISIONS).toFixed(3),
        kilnWholeRun: +(results.kiln.redisCommands / results.kiln.decisions).toFixed(4),
      },
      lossless: results.ungated.lossless && results.kiln.lossless,
      losslessByVariant: {
        ungated: results.ungated.lossless,
        seed: results.seed.lossless,
        kiln: results.kiln.lossless,
      },
      jobChannel: {
        workload: '100 jobs of one customer encoding, one end user watching one job',
        ...jobChannel,
        targets: {
          onlyThatJobThroughJobChannel: jobChannel['job channel'].eventsOfOtherJobs === 0,
          noRedisPerEvent: jobChannel['job channel'].gateDecisions.redis === 0,
          watcherExact: jobChannel['job channel'].watcherExact && jobChannel['customer channel'].watcherExact,
        },
      },
      targets: {
        requestsAtMostTenthOfSeed: results.kiln.requests * 10 <= results.seed.requests,
        zeroToUnwatched: results.kiln.unwatchedRequests === 0,
        zeroRedisPerDecision: gate.kilnCommands === 0,
        decisionsAtLeast100xSeed: gate.kiln >= 100 * gate.seed,
      },
    };
    await writeSection('realtime', figures);
    return figures;
  } finally {
    for (const c of clients) c.disconnect();
    await webhooks.stop();
    await soketi.stop();
    await redisServer.stop();
  }
}

async function runVariant(
  variant: Variant,
  ctx: {
    redisUrl: string;
    prefix: string;
    soketi: Awaited<ReturnType<typeof startSoketi>>;
    views: Map<string, Map<string, Job>>;
    received: { n: number };
  },
): Promise<{
  requests: number;
  delivered: number;
  redisCommands: number;
  decisions: number;
  lossless: boolean;
  unwatchedRequests: number;
}> {
  const registry = new Registry();
  const metrics = new RealtimeMetrics(registry);
  const transport = soketiTransport(ctx.soketi, metrics);
  const watched = new Set([...ctx.views.keys()]);
  let requests = 0;
  let unwatchedRequests = 0;
  const counted = {
    async triggerBatch(events: { channel: string; name: string; data: unknown }[]) {
      requests++;
      if (events.some((e) => !watched.has(e.channel))) unwatchedRequests++;
      await transport.triggerBatch(events);
    },
  };
  const { redis, count } = countingRedis(ctx.redisUrl);
  let decisions = 0;
  let publish: (channel: string, event: string, job: Job, progress: boolean) => Promise<unknown>;
  let mirror: OccupancyMirror | undefined;
  let publisher: GatedPublisher | undefined;
  const repo = new OccupancyRepository(redis, ctx.prefix);
  if (variant === 'ungated') {
    publish = (channel, event, job) =>
      counted.triggerBatch([{ channel, name: event, data: JSON.stringify(jobEventPayload(job)) }]);
  } else if (variant === 'seed') {
    publish = async (channel, event, job) => {
      decisions++;
      if (await repo.isOccupied(channel))
        await counted.triggerBatch([{ channel, name: event, data: JSON.stringify(jobEventPayload(job)) }]);
    };
  } else {
    mirror = new OccupancyMirror({ repo, subscriber: new Redis(ctx.redisUrl), logger: pino({ level: 'silent' }) });
    await mirror.start();
    publisher = new GatedPublisher({
      gate: { isOccupied: (c) => (decisions++, mirror!.isOccupied(c)) },
      sink: counted,
      metrics,
      logger: pino({ level: 'silent' }),
      progressIntervalMs: 1000,
    });
    publish = (channel, event, job, progress) =>
      publisher!.publish(channel, event, jobEventPayload(job), { key: job.id, kind: progress ? 'progress' : 'state' });
  }
  const commandsBefore = count();

  // Play every job's life on a shared real-time schedule; each job's events stay in order.
  const start = Date.now();
  const truth = new Map<string, Job>();
  await Promise.all(
    Array.from({ length: JOBS }, async (_, i) => {
      for (const step of lifecycle(newJob(i))) {
        const wait = start + step.at - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        truth.set(step.job.id, step.job);
        const p = publish(customerChannel(step.job.customerId), step.event, step.job, step.progress);
        // The seed and ungated publishers await each call (one trigger per event); Kiln's returns at once.
        if (variant !== 'kiln') await p;
      }
    }),
  );
  await publisher?.flush();
  const redisCommands = count() - commandsBefore;
  await new Promise((r) => setTimeout(r, 500));
  await mirror?.stop();
  await redis.quit();

  let lossless = true;
  for (const [channel, view] of ctx.views) {
    for (const job of truth.values()) {
      if (customerChannel(job.customerId) !== channel) continue;
      const seen = view.get(job.id);
      // Events carry the job's summary: the watcher's view must hold exactly the last one.
      if (!seen || JSON.stringify(seen) !== JSON.stringify(toJobSummary(job))) lossless = false;
    }
  }
  return { requests, delivered: ctx.received.n, redisCommands, decisions, lossless, unwatchedRequests };
}

/** Gate decisions per second: (b) one SISMEMBER each, (c) Kiln's in-memory mirror. */
async function gateDecisionRates(
  redisUrl: string,
  prefix: string,
): Promise<{ seed: number; kiln: number; kilnCommands: number }> {
  const { redis, count } = countingRedis(redisUrl);
  const repo = new OccupancyRepository(redis, prefix);
  const channels = Array.from({ length: CUSTOMERS }, (_, i) => `${CUSTOMER_CHANNEL_PREFIX}c${i}`);
  let t = performance.now();
  for (let i = 0; i < GATE_DECISIONS; i++) await repo.isOccupied(channels[i % CUSTOMERS]!);
  const seed = GATE_DECISIONS / ((performance.now() - t) / 1000);
  const mirror = new OccupancyMirror({ repo, subscriber: new Redis(redisUrl), logger: pino({ level: 'silent' }) });
  await mirror.start();
  const before = count();
  t = performance.now();
  for (let i = 0; i < GATE_DECISIONS * 10; i++) await mirror.isOccupied(channels[i % CUSTOMERS]!);
  const kiln = (GATE_DECISIONS * 10) / ((performance.now() - t) / 1000);
  const kilnCommands = count() - before;
  await mirror.stop();
  await redis.quit();
  return { seed, kiln, kilnCommands };
}

import { customerChannel, jobChannel, toJobSummary, type Job } from '@kiln/jobs';
import {
  GatedPublisher,
  JobAnnouncer,
  OccupancyMirror,
  OccupancyRepository,
  RealtimeMetrics,
  type BatchSink,
} from '@kiln/realtime';
import { waitFor, type startSoketi } from '@kiln/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type Pusher from 'pusher';
import { lifecycle, newJob } from './job-lifecycle.js';
import { authorizedClient, soketiTransport } from './soketi-parts.js';
import { printTable } from './results.js';

const JOBS = 100;
const CUSTOMER = 'acme';
/** The one job the end user watches. */
const WATCHED_JOB = 'job-7';

type Watch = 'job channel' | 'customer channel';

/** What one way of watching cost and gave. */
interface WatchResult {
  pusherRequests: number;
  eventsSent: number;
  eventsOfOtherJobs: number;
  eventsOfWatchedJob: number;
  /** Gate decisions (two per event: customer and job channel) answered from memory, and by a Redis command. */
  gateDecisions: { memory: number; redis: number };
  watcherExact: boolean;
}

/** The realtime bench's shared parts: soketi (its webhooks going to a running webhooks app), Redis, the key prefix. */
export interface JobChannelBenchContext {
  redisUrl: string;
  prefix: string;
  soketi: Awaited<ReturnType<typeof startSoketi>>;
  server: Pusher;
}

/**
 * Issue 12's comparison: one customer with 100 jobs encoding and one end user watching one job,
 * through that job's own channel or (as before job channels) through the customer's channel.
 * Both run in one process, one after the other, through the real announcer, gated publisher,
 * mirror, webhooks app and soketi.
 */
export async function compareJobChannel(ctx: JobChannelBenchContext): Promise<Record<Watch, WatchResult>> {
  const results = {} as Record<Watch, WatchResult>;
  for (const watch of ['job channel', 'customer channel'] as Watch[]) results[watch] = await runWatch(ctx, watch);
  printTable(
    `realtime, job channels: ${JOBS} jobs of one customer encoding, one end user watching ${WATCHED_JOB}`,
    (['job channel', 'customer channel'] as Watch[]).map((w) => ({
      'watching through': w,
      'pusher requests': results[w].pusherRequests,
      'events sent': results[w].eventsSent,
      'events of the watched job': results[w].eventsOfWatchedJob,
      'events of other jobs': results[w].eventsOfOtherJobs,
      'gate decisions (memory/redis)': `${results[w].gateDecisions.memory}/${results[w].gateDecisions.redis}`,
      'watcher exact': results[w].watcherExact,
    })),
  );
  return results;
}

async function runWatch(ctx: JobChannelBenchContext, watch: Watch): Promise<WatchResult> {
  const channel = watch === 'job channel' ? jobChannel(WATCHED_JOB) : customerChannel(CUSTOMER);
  const redis = new Redis(ctx.redisUrl);
  const member = async (c: string) => (await redis.sismember(`${ctx.prefix}:occupancy:channels`, c)) === 1;
  // Nothing of the other way of watching may still be open (vacates wait 3 s).
  await waitFor(async () => !(await member(jobChannel(WATCHED_JOB))) && !(await member(customerChannel(CUSTOMER))), {
    timeoutMs: 30_000,
    message: 'both channels to be vacated',
  });
  const viewer = watcherOn(ctx, channel);
  await waitFor(() => member(channel), { timeoutMs: 10_000, message: `webhooks to record the watcher of ${channel}` });

  const sent: { channel: string; jobId: string }[] = [];
  let pusherRequests = 0;
  const metrics = new RealtimeMetrics(new Registry());
  const transport = soketiTransport(ctx.soketi, metrics);
  const sink: BatchSink = {
    async triggerBatch(events) {
      pusherRequests++;
      for (const e of events) {
        const data = (typeof e.data === 'string' ? JSON.parse(e.data) : e.data) as { id: string };
        sent.push({ channel: e.channel, jobId: data.id });
      }
      await transport.triggerBatch(events);
    },
  };
  const mirror = new OccupancyMirror({
    repo: new OccupancyRepository(redis, ctx.prefix),
    subscriber: new Redis(ctx.redisUrl),
    logger: pino({ level: 'silent' }),
  });
  await mirror.start();
  const publisher = new GatedPublisher({ gate: mirror, sink, metrics, logger: pino({ level: 'silent' }) });
  const truth = await playJobs(new JobAnnouncer(publisher));
  await publisher.flush();
  const final = toJobSummary(truth);
  await waitFor(() => viewer.seen()?.seq === final.seq, { timeoutMs: 10_000, message: 'the watcher to catch up' });
  const watcherExact = JSON.stringify(viewer.seen()) === JSON.stringify(final);
  viewer.disconnect();
  const gateDecisions = { ...mirror.decisions };
  await mirror.stop();
  await redis.quit();
  return {
    pusherRequests,
    eventsSent: sent.length,
    eventsOfWatchedJob: sent.filter((e) => e.jobId === WATCHED_JOB).length,
    eventsOfOtherJobs: sent.filter((e) => e.jobId !== WATCHED_JOB).length,
    gateDecisions,
    watcherExact,
  };
}

/** Plays every job's life of the one customer on a shared real-time schedule; returns the watched job's last record. */
async function playJobs(announcer: JobAnnouncer): Promise<Job> {
  const start = Date.now();
  let watched: Job | undefined;
  await Promise.all(
    Array.from({ length: JOBS }, async (_, i) => {
      for (const step of lifecycle({ ...newJob(i), customerId: CUSTOMER })) {
        const wait = start + step.at - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (step.job.id === WATCHED_JOB) watched = step.job;
        void announcer.announce(step.job, step.event as never, step.progress);
      }
    }),
  );
  return watched!;
}

/** The end user's pusher-js client on `channel`, keeping the newest summary of the watched job it received. */
function watcherOn(ctx: JobChannelBenchContext, channel: string) {
  const client = authorizedClient(ctx.soketi, ctx.server);
  let newest: Job | undefined;
  client.subscribe(channel).bind_global((name: string, data: { job?: Job }) => {
    if (!name.startsWith('job.') || data.job?.id !== WATCHED_JOB) return;
    if (!newest || newest.seq < data.job.seq) newest = data.job;
  });
  return { seen: () => newest, disconnect: () => client.disconnect() };
}

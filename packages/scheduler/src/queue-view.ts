import type { JobQueue, QueuedPlace } from '@kiln/jobs';
import type { FairQueue } from './fair-queue.js';
import type { FleetRepository, FleetWorker } from './fleet.repository.js';
import { positionInLine, startTimes, type Throughput } from './queue-estimate.js';

/**
 * Where queued jobs stand: their place in the fair-share line (see {@link positionInLine}) and
 * when they should start (see {@link startTimes}), from the fair queue and the fleet registry.
 */
export class QueueView {
  constructor(private readonly deps: { line: FairQueue; fleet: FleetRepository }) {}

  /** A queued job's place; undefined when it is not in line (not queued, or unknown to the scheduler). */
  async forJob(job: { id: string; customerId: string; status: string }): Promise<JobQueue | undefined> {
    if (job.status !== 'queued') return undefined;
    const state = await this.deps.line.state(job.id);
    if (!state) return undefined;
    const { pool } = state;
    const [workers, jobSeconds] = await Promise.all([this.deps.fleet.online(), this.deps.line.meanRunSeconds(pool)]);
    const throughput = throughputOf(pool, workers, jobSeconds);
    let position: number;
    let held: { running: number; cap: number } | undefined;
    if (state.state === 'handed') {
      const handed = await this.deps.line.handed(pool);
      position = Math.max(1, handed.indexOf(job.id) + 1);
    } else {
      const [line, rank] = await Promise.all([
        this.deps.line.line(pool, job.customerId, 1),
        this.deps.line.rankOf(job.id, pool, job.customerId),
      ]);
      position = positionInLine(line, job.customerId, rank ?? 0);
      held = line;
    }
    return {
      position,
      etaSeconds: startTimes(position, throughput)[position - 1] ?? null,
      pool,
      reason: reasonFor(pool, throughput, held),
    };
  }

  /** The places of a customer's first `limit` queued jobs (by place), across pools. */
  async forCustomer(customerId: string, limit: number): Promise<QueuedPlace[]> {
    const workers = await this.deps.fleet.online();
    const places: QueuedPlace[] = [];
    for (const pool of await this.deps.line.pools()) {
      const [line, handed, jobSeconds] = await Promise.all([
        this.deps.line.line(pool, customerId, limit),
        this.deps.line.handed(pool),
        this.deps.line.meanRunSeconds(pool),
      ]);
      const mine: { id: string; position: number; held: boolean }[] = [];
      for (const [i, id] of handed.entries())
        if ((await this.deps.line.state(id))?.customerId === customerId)
          mine.push({ id, position: i + 1, held: false });
      line.mine.forEach((id, rank) => mine.push({ id, position: positionInLine(line, customerId, rank), held: true }));
      if (mine.length === 0) continue;
      const throughput = throughputOf(pool, workers, jobSeconds);
      const starts = startTimes(Math.max(...mine.map((m) => m.position)), throughput);
      for (const m of mine)
        places.push({
          id: m.id,
          position: m.position,
          etaSeconds: starts[m.position - 1] ?? null,
          pool,
          reason: reasonFor(pool, throughput, m.held ? line : undefined),
        });
    }
    return places.sort((a, b) => a.position - b.position).slice(0, limit);
  }
}

/** A pool's encode slots online and what its running jobs have left (from their progress). */
function throughputOf(pool: string, workers: FleetWorker[], jobSeconds: number | null): Throughput {
  const serving = workers.filter((w) => w.pools.includes(pool));
  const busy = serving.flatMap((w) => w.jobs.map((j) => (jobSeconds ?? 0) * Math.max(0, 1 - j.percent / 100)));
  return { slots: serving.reduce((n, w) => n + w.concurrency, 0), busy, jobSeconds };
}

/** Why a job waits beyond its turn, in words; null when it simply waits for its turn. */
function reasonFor(pool: string, t: Throughput, held: { running: number; cap: number } | undefined): string | null {
  if (t.slots === 0) return `no worker that runs the "${pool}" pool is online`;
  if (held && held.cap > 0 && held.running >= held.cap)
    return `your running limit is ${held.cap} job${held.cap === 1 ? '' : 's'} at once; it starts when one of yours finishes`;
  return null;
}

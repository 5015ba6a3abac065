import type { Line } from './fair-queue.js';

/**
 * The place (1 = next) of a customer's waiting job of rank `rank` (0 = the customer's next) in a
 * pool's line, as the fair queue will hand jobs out if nothing changes: every job handed out but
 * not started goes first, then the customer's own earlier jobs, then each other customer's jobs
 * whose round comes before this one's (`vt + rank`), ties going to the lower customer id as the
 * sorted set orders them. O(customers in line), never a walk over the jobs.
 */
export function positionInLine(line: Line, customerId: string, rank: number): number {
  const round = line.vt + rank;
  let ahead = line.handed + rank;
  for (const other of line.others) {
    if (other.customerId === customerId) continue;
    const tie = other.customerId < customerId ? 1 : 0;
    ahead += Math.min(other.waiting, Math.max(0, round - other.vt + tie));
  }
  return ahead + 1;
}

/** What the start of a job in line depends on. */
export interface Throughput {
  /** Encode slots online in the pool. */
  slots: number;
  /** Seconds left of each job running in the pool now. */
  busy: number[];
  /** The mean time of a job in the pool recently; null before any finished. */
  jobSeconds: number | null;
}

/** Longest line simulated job by job; beyond it, starts are extrapolated at the fleet's pace. */
const SIMULATED = 10_000;

/**
 * Seconds from now until the jobs at positions 1…count start: each slot frees when its running
 * job ends, and takes the next job, which then lasts the recent mean. Null for every position
 * when nothing can be said (no slot online, or no job finished yet to measure).
 */
export function startTimes(count: number, t: Throughput): (number | null)[] {
  if (t.slots <= 0 || t.jobSeconds === null) return new Array<null>(count).fill(null);
  const jobSeconds = t.jobSeconds;
  const free = [...t.busy].sort((a, b) => a - b).slice(0, t.slots);
  while (free.length < t.slots) free.unshift(0);
  const out: number[] = [];
  for (let i = 0; i < Math.min(count, SIMULATED); i++) {
    let min = 0;
    for (let s = 1; s < free.length; s++) if (free[s]! < free[min]!) min = s;
    out.push(free[min]!);
    free[min] = free[min]! + jobSeconds;
  }
  const simulated = out.length;
  const last = out[simulated - 1] ?? 0;
  for (let i = simulated; i < count; i++) out.push(last + ((i - simulated + 1) * jobSeconds) / t.slots);
  return out.map((s) => Math.round(s));
}

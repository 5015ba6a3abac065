import type { JobStatus, RunState } from '@kiln/jobs';
import { LockLostError } from './run.errors.js';

/** Why a watch stopped its run: someone else ended the job (a cancel), or the run lost its lock. */
export type RunEnd = 'cancelled' | 'lock_lost';

/** What a {@link RunWatch} reads, how often, and which signal it extends. */
export interface RunWatchDeps {
  /** The job's status and whether this run still holds its lock, in one round trip. */
  read: () => Promise<RunState>;
  /** Statuses in which the run may go on. */
  runnable: (status: JobStatus) => boolean;
  intervalMs: number;
  /** Aborts the watch's signal too (BullMQ's: a cancel message, a lost lock, shutdown). */
  upstream?: AbortSignal;
}

/**
 * Watches one run of a job: every `intervalMs` it reads the job's status and whether the run still
 * holds the job's lock (one round trip), and aborts `signal` when the job was cancelled, finished
 * or removed by someone else, or the lock is gone. A cancel whose pub/sub message never reached
 * this worker still stops the ffmpeg within about a second, and a run that lost its lock stops
 * even while nothing else of it talks to Redis (a download, a probe, a long silent encode).
 * One read at a time, so a Redis that does not answer is not flooded.
 */
export class RunWatch {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ended: RunEnd | undefined;

  private readonly read: () => Promise<RunState>;
  private readonly runnable: (status: JobStatus) => boolean;
  private readonly intervalMs: number;

  constructor({ read, runnable, intervalMs, upstream }: RunWatchDeps) {
    this.read = read;
    this.runnable = runnable;
    this.intervalMs = intervalMs;
    this.signal = upstream ? AbortSignal.any([upstream, this.controller.signal]) : this.controller.signal;
  }

  /** Why the run was stopped by this watch (or by {@link end}), if it was. */
  get reason(): RunEnd | undefined {
    return this.ended;
  }

  /** Starts the checks. */
  start(): this {
    this.schedule();
    return this;
  }

  /** Stops the run now (a write of it was refused) and the checks with it. */
  end(reason: RunEnd): void {
    if (this.ended) return;
    this.ended = reason;
    this.close();
    this.controller.abort(
      reason === 'lock_lost'
        ? new LockLostError('the run lost its lock on the job')
        : new Error('the job was cancelled'),
    );
  }

  /** Stops the checks (the run is ending on its own). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.check(), this.intervalMs);
  }

  private async check(): Promise<void> {
    try {
      const state = await this.read();
      if (this.closed) return;
      if (!state.holdsLock) return this.end('lock_lost');
      if (state.status === null || !this.runnable(state.status)) return this.end('cancelled');
    } catch {
      // Redis unreachable: the next check (or BullMQ's lock renewal) decides.
    }
    this.schedule();
  }
}

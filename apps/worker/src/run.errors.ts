import { KilnError } from '@kiln/errors';

/**
 * A run of a job lost its BullMQ lock (Redis was unreachable or paused for longer than
 * KILN_WORKER_STALLED_S), so another run may own the job now: this one stops without writing.
 */
export class LockLostError extends KilnError {
  readonly code = 'lock_lost';
}

/** The job was cancelled, finished or removed by someone else while this worker held it: stop quietly. */
export class JobGoneError extends KilnError {
  readonly code = 'job_gone';
}

/** Waiting for a slot ended because the worker is shutting down: the job goes back to the queue. */
export class SlotsClosedError extends KilnError {
  readonly code = 'slots_closed';
}

/** The reason BullMQ's abort signal carries when the worker stops a run whose lock renewal failed. */
export const LOCK_LOST_REASON = 'lock lost: the lock on the job could not be renewed';

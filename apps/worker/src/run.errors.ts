/**
 * A run of a job lost its BullMQ lock (Redis was unreachable or paused for longer than
 * KILN_WORKER_STALLED_S), so another run may own the job now: this one stops without writing.
 */
export class LockLostError extends Error {
  override name = 'LockLostError';
  readonly code = 'lock_lost';
}

/** The reason BullMQ's abort signal carries when the worker stops a run whose lock renewal failed. */
export const LOCK_LOST_REASON = 'lock lost: the lock on the job could not be renewed';

import { kilnErrorCode } from '@kiln/errors';
import type { JobError, JobOutput, JobPatch } from '@kiln/jobs';
import { TranscodeCancelledError } from '@kiln/media';
import { InputCancelledError, InputError } from './input.errors.js';
import { JobGoneError, LockLostError, SlotsClosedError } from './run.errors.js';

/**
 * What a run that threw does next:
 * - `handover`: the worker is shutting down; the job goes back to the queue for another worker.
 * - `stopped`: the job was cancelled or removed (`cancelled`), or another run may own it now
 *   (`lock_lost`); nothing more is written.
 * - `retry`: a transient failure with attempts left; BullMQ tries again with backoff.
 * - `final`: bad input, or the last attempt failed; the job is recorded failed with `error`.
 */
export type FailureOutcome =
  | { kind: 'handover' }
  | { kind: 'stopped'; reason: 'cancelled' | 'lock_lost' }
  | { kind: 'retry'; error: JobError }
  | { kind: 'final'; error: JobError };

/** What {@link classifyFailure} needs to know about the run besides the error. */
export interface FailureContext {
  /** This attempt, counted from 1. */
  attempt: number;
  maxAttempts: number;
  /** The worker's shutdown grace is over: stopped encodes are handed back, not cancelled. */
  handingOver: boolean;
  /** The run's watch or BullMQ saw its lock go (the error itself may be only the stopped ffmpeg's). */
  lockLost: boolean;
}

/** Longest message a job record carries. */
const MAX_MESSAGE = 1000;

/** Decides what a failed run does next (see {@link FailureOutcome}); pure, so every case is easy to test. */
export function classifyFailure(err: unknown, ctx: FailureContext): FailureOutcome {
  if (ctx.lockLost || err instanceof LockLostError) return { kind: 'stopped', reason: 'lock_lost' };
  const stoppedMidway = err instanceof TranscodeCancelledError || err instanceof InputCancelledError;
  if (err instanceof SlotsClosedError || (stoppedMidway && ctx.handingOver)) return { kind: 'handover' };
  if (stoppedMidway || err instanceof JobGoneError) return { kind: 'stopped', reason: 'cancelled' };
  const error = publicError(err);
  return err instanceof InputError || ctx.attempt >= ctx.maxAttempts
    ? { kind: 'final', error }
    : { kind: 'retry', error };
}

/** A job's public error: the Kiln error's own code (`error` for anything else) and its message, no stack. */
export function publicError(err: unknown): JobError {
  const message = err instanceof Error ? err.message : String(err);
  return { code: kilnErrorCode(err) ?? 'error', message: message.slice(0, MAX_MESSAGE) };
}

/**
 * What a retried or final failure writes to the job: queued again with the reason (code
 * `retrying`), or failed with its error, every output not completed marked failed.
 */
export function failurePatch(
  outcome: FailureOutcome & { kind: 'retry' | 'final' },
  ctx: Pick<FailureContext, 'attempt' | 'maxAttempts'>,
  outputs: readonly JobOutput[],
  now: Date,
): JobPatch {
  if (outcome.kind === 'retry') {
    const message = `attempt ${ctx.attempt} of ${ctx.maxAttempts} failed (${outcome.error.message}); retrying`;
    return { status: 'queued', attempts: ctx.attempt, error: { code: 'retrying', message } };
  }
  return {
    status: 'failed',
    error: outcome.error,
    attempts: ctx.attempt,
    finishedAt: now.toISOString(),
    outputs: outputs.map((o) => (o.status === 'completed' ? o : { ...o, status: 'failed' })),
  };
}

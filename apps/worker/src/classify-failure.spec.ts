import type { JobOutput } from '@kiln/jobs';
import { MediaToolError, TranscodeCancelledError, TranscodeStalledError } from '@kiln/media';
import { describe, expect, it } from 'vitest';
import { classifyFailure, failurePatch, publicError, type FailureContext } from './classify-failure.js';
import { InputCancelledError, InputError, InputUnavailableError } from './input.errors.js';
import { JobGoneError, LockLostError, SlotsClosedError } from './run.errors.js';

const FIRST: FailureContext = { attempt: 1, maxAttempts: 3, handingOver: false, lockLost: false };
const LAST: FailureContext = { ...FIRST, attempt: 3 };
const cancelled = () => new TranscodeCancelledError('the encode was cancelled; ffmpeg stopped', null, '');

describe('classifyFailure', () => {
  it('fails bad input for good on the first attempt, with its own code', () => {
    expect(classifyFailure(new InputError('no_video', 'input has no video stream'), FIRST)).toEqual({
      kind: 'final',
      error: { code: 'no_video', message: 'input has no video stream' },
    });
  });

  it('retries a transient failure while attempts are left, and fails it for good on the last', () => {
    const err = new InputUnavailableError('input_unreachable', 'connection refused');
    expect(classifyFailure(err, FIRST)).toEqual({
      kind: 'retry',
      error: { code: 'input_unreachable', message: 'connection refused' },
    });
    expect(classifyFailure(err, LAST)).toEqual({
      kind: 'final',
      error: { code: 'input_unreachable', message: 'connection refused' },
    });
    expect(classifyFailure(new TranscodeStalledError('stalled', null, ''), FIRST)).toMatchObject({
      kind: 'retry',
      error: { code: 'transcode_stalled' },
    });
  });

  it('stops a cancelled job quietly: a killed ffmpeg, a stopped download, a job gone from under the run', () => {
    for (const err of [cancelled(), new InputCancelledError(), new JobGoneError('job is cancelled')])
      expect(classifyFailure(err, FIRST)).toEqual({ kind: 'stopped', reason: 'cancelled' });
  });

  it('hands the job back when the worker shuts down: slots closed, or an encode stopped past the grace', () => {
    expect(classifyFailure(new SlotsClosedError('worker is shutting down'), FIRST)).toEqual({ kind: 'handover' });
    expect(classifyFailure(cancelled(), { ...FIRST, handingOver: true })).toEqual({ kind: 'handover' });
    expect(classifyFailure(new InputCancelledError(), { ...FIRST, handingOver: true })).toEqual({ kind: 'handover' });
    // A real failure during shutdown is still a failure.
    expect(classifyFailure(new MediaToolError('could not run ffmpeg'), { ...LAST, handingOver: true })).toMatchObject({
      kind: 'final',
      error: { code: 'media_tool' },
    });
  });

  it('stops without writing once the lock is lost, whatever the error says', () => {
    expect(classifyFailure(new LockLostError('lost'), FIRST)).toEqual({ kind: 'stopped', reason: 'lock_lost' });
    expect(classifyFailure(cancelled(), { ...LAST, lockLost: true, handingOver: true })).toEqual({
      kind: 'stopped',
      reason: 'lock_lost',
    });
  });
});

describe('publicError', () => {
  it("gives a Kiln error's explicit code and anything else the code error, never a name-derived one", () => {
    expect(publicError(new MediaToolError('could not run ffmpeg'))).toEqual({
      code: 'media_tool',
      message: 'could not run ffmpeg',
    });
    expect(publicError(new TypeError('boom'))).toEqual({ code: 'error', message: 'boom' });
    expect(publicError(Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toEqual({
      code: 'error',
      message: 'disk full',
    });
    expect(publicError('x'.repeat(2000)).message).toHaveLength(1000);
  });
});

describe('failurePatch', () => {
  const output = (name: string, status: JobOutput['status']) => ({ name, status }) as JobOutput;
  const now = new Date('2026-01-02T03:04:05.000Z');

  it('queues a retried job again with the reason, leaving its outputs alone', () => {
    const error = { code: 'transcode_stalled', message: 'ffmpeg reported no progress' };
    expect(failurePatch({ kind: 'retry', error }, FIRST, [output('a', 'encoding')], now)).toEqual({
      status: 'queued',
      attempts: 1,
      error: { code: 'retrying', message: 'attempt 1 of 3 failed (ffmpeg reported no progress); retrying' },
    });
  });

  it('fails a job for good, keeping completed outputs and failing the rest', () => {
    const error = { code: 'no_audio', message: 'input has no audio stream' };
    const outputs = [output('a', 'completed'), output('b', 'encoding'), output('c', 'pending')];
    expect(failurePatch({ kind: 'final', error }, LAST, outputs, now)).toEqual({
      status: 'failed',
      error,
      attempts: 3,
      finishedAt: '2026-01-02T03:04:05.000Z',
      outputs: [output('a', 'completed'), output('b', 'failed'), output('c', 'failed')],
    });
  });
});

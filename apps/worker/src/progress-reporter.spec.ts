import type { JobProgress } from '@kiln/jobs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressReporter } from './progress-reporter.js';

const p = (percent: number): JobProgress => ({ percent, fps: 25, speed: 1, etaSeconds: 1 });

describe('ProgressReporter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes at most once per interval, and the latest value wins', async () => {
    const written: number[] = [];
    const r = new ProgressReporter(
      async (v) => void written.push(v.percent),
      1000,
      () => Date.now(),
    );
    r.report(p(1));
    for (let i = 2; i <= 9; i++) {
      await vi.advanceTimersByTimeAsync(100);
      r.report(p(i));
    }
    expect(written).toEqual([1]);
    await vi.advanceTimersByTimeAsync(300);
    expect(written).toEqual([1, 9]);
  });

  it('flush writes the final pending value', async () => {
    const written: number[] = [];
    const r = new ProgressReporter(
      async (v) => void written.push(v.percent),
      1000,
      () => Date.now(),
    );
    r.report(p(10));
    r.report(p(99.5));
    await r.flush();
    expect(written).toEqual([10, 99.5]);
  });

  it('never overlaps writes and keeps their order', async () => {
    const log: string[] = [];
    const r = new ProgressReporter(
      async (v) => {
        log.push(`start ${v.percent}`);
        await new Promise((res) => setTimeout(res, 5000));
        log.push(`end ${v.percent}`);
      },
      10,
      () => Date.now(),
    );
    r.report(p(1));
    await vi.advanceTimersByTimeAsync(20);
    r.report(p(2));
    const done = r.flush();
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('cancel drops what is pending', async () => {
    const written: number[] = [];
    const r = new ProgressReporter(
      async (v) => void written.push(v.percent),
      1000,
      () => Date.now(),
    );
    r.report(p(1));
    r.report(p(2));
    r.cancel();
    await vi.advanceTimersByTimeAsync(5000);
    await r.flush();
    expect(written).toEqual([1]);
  });
});

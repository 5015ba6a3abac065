import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextRetryDelay, webhookRetryDelay } from './webhook-backoff.js';

describe('webhookRetryDelay', () => {
  it('starts at about the base (5 s by default) and doubles with each failure, within ±25 %', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.string(), (failures, seed) => {
        const exact = 5_000 * 2 ** (failures - 1);
        const delay = webhookRetryDelay(failures, 5_000, seed);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(exact * 0.75));
        expect(delay).toBeLessThanOrEqual(Math.ceil(exact * 1.25));
      }),
    );
  });

  it('never waits more than 4 h (with jitter) however many failures', () => {
    expect(webhookRetryDelay(40, 5_000, 'x')).toBeLessThanOrEqual(5 * 3600_000);
    expect(webhookRetryDelay(40, 5_000, 'x')).toBeGreaterThanOrEqual(3 * 3600_000);
  });

  it('gives the same wait for the same series and attempt, and spreads different series apart', () => {
    expect(webhookRetryDelay(3, 5_000, 'dlv_a-0')).toBe(webhookRetryDelay(3, 5_000, 'dlv_a-0'));
    const spread = new Set(Array.from({ length: 50 }, (_, i) => webhookRetryDelay(3, 5_000, `dlv_${i}-0`)));
    expect(spread.size).toBeGreaterThan(40);
  });
});

describe('nextRetryDelay', () => {
  const plan = { seriesStartedAt: 0, baseMs: 5_000, windowMs: 24 * 3600_000, seed: 'dlv_x-0' };

  it('schedules retries for 24 h and then stops', () => {
    let now = 0;
    let failures = 0;
    for (;;) {
      failures++;
      const delay = nextRetryDelay({ ...plan, failures, now });
      if (delay === null) break;
      now += delay;
    }
    expect(now).toBeLessThanOrEqual(24 * 3600_000);
    // The last try is within the last few hours of the window (waits are capped at 4 h and jittered).
    expect(now).toBeGreaterThan(18 * 3600_000);
    expect(failures).toBeGreaterThan(12);
    expect(failures).toBeLessThan(30);
  });

  it('returns null when the next try would fall past the window', () => {
    expect(nextRetryDelay({ ...plan, failures: 1, now: 24 * 3600_000 - 1_000 })).toBeNull();
    expect(nextRetryDelay({ ...plan, failures: 1, now: 1_000 })).not.toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { healthAfterAttempt } from './endpoint-health.js';

const H = 3600_000;
const fail = (at: number) => ({ ok: false, error: 'HTTP 503 Service Unavailable', at });

describe('healthAfterAttempt (disable after KILN_WEBHOOK_DISABLE_AFTER_H)', () => {
  it('starts a failure streak at the first failure and keeps its start', () => {
    const first = healthAfterAttempt({ failingSince: null }, fail(10 * H), 72 * H);
    expect(first).toEqual({ failingSince: 10 * H, disable: null });
    expect(healthAfterAttempt(first, fail(40 * H), 72 * H)).toEqual({ failingSince: 10 * H, disable: null });
  });

  it('disables an endpoint whose deliveries all failed for the whole period, saying since when and why', () => {
    const verdict = healthAfterAttempt({ failingSince: 10 * H }, fail(82 * H), 72 * H);
    expect(verdict.failingSince).toBe(10 * H);
    expect(verdict.disable).toContain(new Date(10 * H).toISOString());
    expect(verdict.disable).toContain('72 h');
    expect(verdict.disable).toContain('HTTP 503 Service Unavailable');
  });

  it('ends the streak on a success, however long it lasted', () => {
    const verdict = healthAfterAttempt({ failingSince: 10 * H }, { ok: true, error: null, at: 81 * H }, 72 * H);
    expect(verdict).toEqual({ failingSince: null, disable: null });
    expect(healthAfterAttempt(verdict, fail(82 * H), 72 * H)).toEqual({ failingSince: 82 * H, disable: null });
  });
});

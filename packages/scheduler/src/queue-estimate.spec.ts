import { describe, expect, it } from 'vitest';
import { positionInLine, startTimes } from './queue-estimate.js';

describe('positionInLine', () => {
  const line = {
    handed: 2,
    running: 0,
    cap: 0,
    vt: 10,
    mine: [],
    others: [
      { customerId: 'a', vt: 4, waiting: 100 },
      { customerId: 'c', vt: 10, waiting: 1 },
      { customerId: 'b', vt: 10, waiting: 3 },
    ],
  };

  it("counts the handed-out jobs, the customer's own earlier jobs and every other customer's earlier rounds", () => {
    // b's first job (round 10): a's rounds 4..10 (7 jobs, a < b wins the tie), c's round 10 loses the tie.
    expect(positionInLine(line, 'b', 0)).toBe(2 + 0 + 7 + 0 + 1);
    // b's third job (round 12): a's rounds 4..12 (9), c's single job (1), b's own two.
    expect(positionInLine(line, 'b', 2)).toBe(2 + 2 + 9 + 1 + 1);
  });

  it('never counts more of another customer than it has waiting', () => {
    expect(positionInLine({ ...line, handed: 0, vt: 1000 }, 'b', 0)).toBe(100 + 1 + 1);
  });
});

describe('startTimes', () => {
  it('fills free slots first, then each slot as its running job ends, at the recent pace', () => {
    expect(startTimes(5, { slots: 2, busy: [30], jobSeconds: 60 })).toEqual([0, 30, 60, 90, 120]);
  });

  it('has no estimate without a slot online or before any job finished', () => {
    expect(startTimes(2, { slots: 0, busy: [], jobSeconds: 60 })).toEqual([null, null]);
    expect(startTimes(2, { slots: 2, busy: [], jobSeconds: null })).toEqual([null, null]);
  });

  it('extrapolates at the fleet pace past the simulated length', () => {
    const t = startTimes(10_004, { slots: 4, busy: [], jobSeconds: 8 });
    expect(t[9_999]).toBe(19_992);
    expect(t[10_003]).toBe(20_000);
  });
});

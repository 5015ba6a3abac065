import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chartMax, layoutBars, type ChartBox } from './chart-layout.js';

const BOX: ChartBox = { width: 240, height: 120, top: 20, bottom: 20 };
const hours = (counts: number[]) =>
  counts.map((count, i) => ({ hour: new Date(Date.UTC(2025, 0, 1, i)).toISOString(), count }));

describe('layoutBars', () => {
  it('draws one bar per hour, the busiest reaching the top and the others in proportion', () => {
    const bars = layoutBars(hours([0, 2, 4, 1]), BOX, 0);
    expect(bars.map((b) => b.count)).toEqual([0, 2, 4, 1]);
    expect(bars.map((b) => b.height)).toEqual([0, 40, 80, 20]);
    expect(bars.map((b) => b.y)).toEqual([100, 60, 20, 80]);
    expect(bars.map((b) => [b.x, b.width])).toEqual([
      [0, 60],
      [60, 60],
      [120, 60],
      [180, 60],
    ]);
  });

  it('keeps bars flat on an idle day and returns nothing for no hours', () => {
    expect(chartMax(hours(Array(24).fill(0)))).toBe(1);
    expect(layoutBars(hours(Array(24).fill(0)), BOX).every((b) => b.height === 0 && b.y === 100)).toBe(true);
    expect(layoutBars([], BOX)).toEqual([]);
  });

  it('keeps every bar inside the box, in order, without overlaps, for any counts', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 10_000 }), { minLength: 1, maxLength: 48 }), (counts) => {
        const bars = layoutBars(hours(counts), BOX);
        expect(bars).toHaveLength(counts.length);
        for (const [i, b] of bars.entries()) {
          expect(b.x).toBeGreaterThanOrEqual(0);
          expect(b.x + b.width).toBeLessThanOrEqual(BOX.width + 1e-9);
          expect(b.y).toBeGreaterThanOrEqual(BOX.top - 1e-9);
          expect(b.y + b.height).toBeCloseTo(BOX.height - BOX.bottom);
          if (i > 0) expect(b.x).toBeGreaterThanOrEqual(bars[i - 1]!.x + bars[i - 1]!.width - 1e-9);
        }
        expect(Math.max(...bars.map((b) => b.height))).toBeCloseTo(
          Math.max(...counts) === 0 ? 0 : BOX.height - BOX.top - BOX.bottom,
        );
      }),
    );
  });
});

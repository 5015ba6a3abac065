import type { HourCount } from '@kiln/client';

/** The drawing area of a bar chart, in SVG user units; `top` and `bottom` are kept free for labels. */
export interface ChartBox {
  width: number;
  height: number;
  top: number;
  bottom: number;
}

/** One bar, ready for a `<rect>`. */
export interface BarLayout {
  x: number;
  y: number;
  width: number;
  height: number;
  hour: string;
  count: number;
}

/** The value the top of the chart stands for: the highest count, at least 1 so an idle day draws flat. */
export function chartMax(hours: readonly HourCount[]): number {
  return Math.max(1, ...hours.map((h) => h.count));
}

/**
 * Lays out one bar per hour across the full width, heights proportional to the count with the
 * highest reaching `top`; a zero count has height 0. Pure, so the geometry is unit-tested.
 */
export function layoutBars(hours: readonly HourCount[], box: ChartBox, gap = 2): BarLayout[] {
  if (hours.length === 0) return [];
  const max = chartMax(hours);
  const slot = box.width / hours.length;
  const barWidth = Math.max(1, slot - gap);
  const baseline = box.height - box.bottom;
  const room = baseline - box.top;
  return hours.map((h, i) => {
    const height = (h.count / max) * room;
    return {
      x: i * slot + (slot - barWidth) / 2,
      y: baseline - height,
      width: barWidth,
      height,
      hour: h.hour,
      count: h.count,
    };
  });
}

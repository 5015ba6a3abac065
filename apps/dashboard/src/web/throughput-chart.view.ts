import { chartMax, layoutBars, type ChartBox } from './chart-layout.js';
import { byTestId, el, svgEl } from './dom.js';
import { statsSummary } from './stats-summary.js';
import type { Stats } from '@kiln/client';

/** The SVG's coordinate system (its viewBox); CSS scales it to the card. */
const BOX: ChartBox = { width: 400, height: 120, top: 14, bottom: 16 };
/** Bars that get an hour label under them (oldest, every six hours, and the current hour). */
const LABELLED = new Set([0, 6, 12, 18, 23]);

const hourFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * The stats card: jobs per hour over the last 24 hours as SVG bars, and the counts by status and
 * mean encode speed as text. Everything is built with DOM calls and attributes (no markup strings,
 * no style attributes), so it needs nothing beyond the page's CSP.
 */
export class ThroughputChartView {
  readonly #chart: SVGSVGElement;
  readonly #summary: HTMLElement;

  constructor(root: HTMLElement) {
    this.#chart = byTestId<SVGSVGElement>('throughput-chart', root);
    this.#summary = byTestId('stats-summary', root);
    this.#chart.setAttribute('viewBox', `0 0 ${BOX.width} ${BOX.height}`);
  }

  /** Draws `stats`, replacing what was shown. */
  render(stats: Stats): void {
    const bars = layoutBars(stats.jobsPerHour, BOX);
    const baseline = BOX.height - BOX.bottom;
    const max = chartMax(stats.jobsPerHour);
    const labels = bars.flatMap((b, i) => {
      if (!LABELLED.has(i) && i !== bars.length - 1) return [];
      const anchor = i === 0 ? 'start' : i === bars.length - 1 ? 'end' : 'middle';
      const x = anchor === 'start' ? b.x : anchor === 'end' ? b.x + b.width : b.x + b.width / 2;
      return [
        svgEl(
          'text',
          { class: 'axis-label', x, y: BOX.height - 3, 'text-anchor': anchor },
          i === bars.length - 1 ? 'now' : hourFmt.format(new Date(b.hour)),
        ),
      ];
    });
    this.#chart.replaceChildren(
      svgEl('line', { class: 'grid-line', x1: 0, x2: BOX.width, y1: BOX.top, y2: BOX.top }),
      svgEl('text', { class: 'axis-label', x: 0, y: BOX.top - 4 }, `${max}/h`),
      svgEl('line', { class: 'base-line', x1: 0, x2: BOX.width, y1: baseline, y2: baseline }),
      ...bars.map((b) =>
        svgEl(
          'rect',
          {
            class: b.count === 0 ? 'bar-rect zero' : 'bar-rect',
            x: round(b.x),
            // An idle hour still shows as a sliver, so the 24 slots read as a time axis.
            y: round(b.count === 0 ? baseline - 2 : b.y),
            width: round(b.width),
            height: round(b.count === 0 ? 2 : b.height),
            rx: 1.5,
            'data-hour': b.hour,
            'data-count': b.count,
          },
          svgEl('title', {}, `${hourFmt.format(new Date(b.hour))}: ${b.count} ${b.count === 1 ? 'job' : 'jobs'}`),
        ),
      ),
      ...labels,
    );
    this.#chart.setAttribute(
      'aria-label',
      `Jobs per hour, last 24 hours: ${stats.jobsPerHour.map((h) => h.count).join(', ')}`,
    );
    const [counts, ...rest] = statsSummary(stats);
    this.#summary.replaceChildren(
      el('p', { class: 'stats-counts' }, counts),
      ...rest.map((line) => el('p', { class: 'muted' }, line)),
    );
    this.#summary.dataset['state'] = 'ok';
  }

  /** Shows why stats could not be refreshed, above the last figures drawn (which stay). */
  showError(message: string): void {
    this.#summary.querySelector('.stats-error')?.remove();
    this.#summary.prepend(el('p', { class: 'stats-error' }, message));
    this.#summary.dataset['state'] = 'error';
  }

  /** Empties the card (sign-out). */
  clear(): void {
    this.#chart.replaceChildren();
    this.#summary.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    delete this.#summary.dataset['state'];
  }
}

function round(n: number): string {
  return String(Math.round(n * 100) / 100);
}

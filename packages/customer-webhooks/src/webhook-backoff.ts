import { createHash } from 'node:crypto';

/** The BullMQ backoff type of webhook deliveries; the worker's `settings.backoffStrategy` computes it. */
export const WEBHOOK_BACKOFF_TYPE = 'kiln-webhook';

/** The default wait before the first retry (KILN_WEBHOOK_RETRY_BASE_MS). */
export const DEFAULT_RETRY_BASE_MS = 5_000;

/** No wait between two attempts is longer than this, so a receiver back up is found within hours. */
const MAX_RETRY_DELAY_MS = 4 * 3600_000;

/** Each wait is its exponential value times a factor in [1 - JITTER, 1 + JITTER). */
const JITTER = 0.25;

/**
 * The wait after the `failures`-th failed attempt of a delivery series: `baseMs`·2^(failures−1),
 * capped at 4 h, with ±25 % jitter so deliveries that failed together do not retry together. The
 * jitter is derived from `seed` (the series' id) and the attempt, not drawn: the processor that
 * records "next try at" and BullMQ's backoff strategy that schedules it get the same number.
 */
export function webhookRetryDelay(failures: number, baseMs: number, seed: string): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, failures - 1), MAX_RETRY_DELAY_MS);
  const hash = createHash('sha256').update(`${seed}:${failures}`).digest();
  const unit = hash.readUInt32BE(0) / 0x1_0000_0000;
  return Math.round(exponential * (1 - JITTER + 2 * JITTER * unit));
}

/** What decides a delivery's next try: the series' start, its failed attempts so far and the limits. */
export interface RetryPlan {
  failures: number;
  seriesStartedAt: number;
  now: number;
  baseMs: number;
  /** KILN_WEBHOOK_RETRY_H in ms: no try is scheduled later than this after the series began. */
  windowMs: number;
  seed: string;
}

/** The wait before the next try, or null when it would fall past the retry window (the delivery has failed). */
export function nextRetryDelay(plan: RetryPlan): number | null {
  const delay = webhookRetryDelay(plan.failures, plan.baseMs, plan.seed);
  return plan.now + delay - plan.seriesStartedAt > plan.windowMs ? null : delay;
}

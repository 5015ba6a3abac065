import type { JobQueue } from './job.schema.js';

/** English ordinal categories (`Intl.PluralRules`, type `ordinal`) and their suffixes: 1st, 2nd, 3rd, 4th, 11th, 21st. */
const ORDINAL_RULES = new Intl.PluralRules('en-US', { type: 'ordinal' });
const ORDINAL_SUFFIXES: Partial<Record<Intl.LDMLPluralRule, string>> = { one: 'st', two: 'nd', few: 'rd' };

/** `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, `101st`, `111th`: a whole number as an English ordinal. */
export function ordinal(n: number): string {
  return `${n}${ORDINAL_SUFFIXES[ORDINAL_RULES.select(n)] ?? 'th'}`;
}

/** A place in line in words: `next in line` for 1, else `3rd in line`. */
export function formatPlaceInLine(position: number): string {
  return position <= 1 ? 'next in line' : `${ordinal(position)} in line`;
}

/** Below this many seconds a wait is told in seconds, from here on in minutes (57.5 s rounds to 1 min). */
const SECONDS_UNTIL = 57.5;

/**
 * An estimated wait, rounded so it does not pretend to be precise: under a minute to the nearest
 * 5 s (at least `~5 s`), under an hour to the nearest minute (`~2 min`), from then on in hours and
 * minutes (`~1 h 5 min`, `~2 h`). Undefined for a missing, negative or non-finite estimate.
 */
export function formatWait(seconds: number | null | undefined): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return undefined;
  if (seconds < SECONDS_UNTIL) return `~${Math.max(5, Math.round(seconds / 5) * 5)} s`;
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `~${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `~${h} h` : `~${h} h ${m} min`;
}

/**
 * What a queued job's place reads as, for the dashboard's row and the CLI alike:
 * `3rd in line · ~2 min`, `next in line`, or with a reason it waits beyond its turn
 * `2nd in line · waiting: no worker that runs the "av1" pool is online`.
 */
export function formatQueuePlace(place: Pick<JobQueue, 'position' | 'etaSeconds' | 'reason'>): string {
  const parts = [formatPlaceInLine(place.position)];
  const wait = formatWait(place.etaSeconds);
  if (wait !== undefined) parts.push(wait);
  if (place.reason !== null && place.reason.length > 0) parts.push(`waiting: ${place.reason}`);
  return parts.join(' · ');
}

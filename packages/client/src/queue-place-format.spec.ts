import { describe, expect, it } from 'vitest';
import { formatPlaceInLine, formatQueuePlace, formatWait, ordinal } from './queue-place-format.js';

describe('ordinal', () => {
  it('gives st, nd, rd and th the English way, teens included', () => {
    const cases: [number, string][] = [
      [1, '1st'],
      [2, '2nd'],
      [3, '3rd'],
      [4, '4th'],
      [10, '10th'],
      [11, '11th'],
      [12, '12th'],
      [13, '13th'],
      [21, '21st'],
      [22, '22nd'],
      [23, '23rd'],
      [101, '101st'],
      [111, '111th'],
      [112, '112th'],
      [113, '113th'],
      [1002, '1002nd'],
    ];
    for (const [n, text] of cases) expect(ordinal(n)).toBe(text);
  });
});

describe('formatPlaceInLine', () => {
  it('says next in line for 1 and the ordinal otherwise', () => {
    expect(formatPlaceInLine(1)).toBe('next in line');
    expect(formatPlaceInLine(2)).toBe('2nd in line');
    expect(formatPlaceInLine(3)).toBe('3rd in line');
    expect(formatPlaceInLine(11)).toBe('11th in line');
  });
});

describe('formatWait', () => {
  it('rounds under a minute to 5 s, at least 5 s', () => {
    expect(formatWait(0)).toBe('~5 s');
    expect(formatWait(2)).toBe('~5 s');
    expect(formatWait(7.4)).toBe('~5 s');
    expect(formatWait(7.5)).toBe('~10 s');
    expect(formatWait(38)).toBe('~40 s');
    expect(formatWait(57.4)).toBe('~55 s');
  });

  it('rounds from 57.5 s to the nearest minute, at least 1 min', () => {
    expect(formatWait(57.5)).toBe('~1 min');
    expect(formatWait(89)).toBe('~1 min');
    expect(formatWait(90)).toBe('~2 min');
    expect(formatWait(130)).toBe('~2 min');
    expect(formatWait(59 * 60 + 29)).toBe('~59 min');
  });

  it('tells an hour or more in hours and minutes', () => {
    expect(formatWait(59 * 60 + 30)).toBe('~1 h');
    expect(formatWait(3900)).toBe('~1 h 5 min');
    expect(formatWait(2 * 3600 + 10)).toBe('~2 h');
    expect(formatWait(26 * 3600 + 60 * 59)).toBe('~26 h 59 min');
  });

  it('says nothing without a usable estimate', () => {
    expect(formatWait(null)).toBeUndefined();
    expect(formatWait(undefined)).toBeUndefined();
    expect(formatWait(-1)).toBeUndefined();
    expect(formatWait(Number.NaN)).toBeUndefined();
    expect(formatWait(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('formatQueuePlace', () => {
  it('joins the place and the wait', () => {
    expect(formatQueuePlace({ position: 3, etaSeconds: 120, reason: null })).toBe('3rd in line · ~2 min');
    expect(formatQueuePlace({ position: 1, etaSeconds: 40, reason: null })).toBe('next in line · ~40 s');
  });

  it('leaves the wait out when there is no estimate', () => {
    expect(formatQueuePlace({ position: 2, etaSeconds: null, reason: null })).toBe('2nd in line');
  });

  it('says why the job waits beyond its turn', () => {
    expect(
      formatQueuePlace({ position: 1, etaSeconds: null, reason: 'no worker that runs the "av1" pool is online' }),
    ).toBe('next in line · waiting: no worker that runs the "av1" pool is online');
    expect(formatQueuePlace({ position: 4, etaSeconds: 3900, reason: 'your running limit is 1 job at once' })).toBe(
      '4th in line · ~1 h 5 min · waiting: your running limit is 1 job at once',
    );
  });
});

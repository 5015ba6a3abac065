import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fingerprintOf } from './canonical-json.js';

/** The same object with its keys (at every depth) in another order. */
function shuffleKeys(value: unknown, seed: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  const entries = Object.entries(value as Record<string, unknown>);
  const rotated =
    entries.length > 0
      ? [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)].reverse()
      : entries;
  return Object.fromEntries(rotated.map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('gives the same text whatever the key order, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        const text = canonicalJson(value);
        expect(canonicalJson(shuffleKeys(value, seed))).toBe(text);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('tells different bodies apart', () => {
    expect(fingerprintOf({ input: 'file:///a', outputs: [{ preset: 'mp4-720p' }] })).not.toBe(
      fingerprintOf({ input: 'file:///a', outputs: [{ preset: 'mp4-360p' }] }),
    );
    expect(fingerprintOf([1, 2])).not.toBe(fingerprintOf([2, 1]));
    expect(fingerprintOf({ a: '1' })).not.toBe(fingerprintOf({ a: 1 }));
  });
});

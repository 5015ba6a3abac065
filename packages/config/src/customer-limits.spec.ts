import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ApiKeyMap, apiKeys, customerLimits, formatByteSize, limitFields, loadConfig, parseByteSize } from './index.js';

const schema = z.object({ KILN_API_KEYS: apiKeys, ...limitFields });
const load = (env: Record<string, string>) => loadConfig(schema, env);
const KEY = '0123456789abcdef';

describe('parseByteSize', () => {
  it('reads plain byte counts and sizes with units, both spellings of each unit as powers of 1024', () => {
    expect(parseByteSize('123')).toBe(123);
    expect(parseByteSize('50GB')).toBe(50 * 1024 ** 3);
    expect(parseByteSize('20GiB')).toBe(20 * 1024 ** 3);
    expect(parseByteSize('1.5 tb')).toBe(1.5 * 1024 ** 4);
    expect(parseByteSize('512KiB')).toBe(512 * 1024);
  });

  it('writes sizes back in the same units', () => {
    expect(formatByteSize(50 * 1024 ** 3)).toBe('50 GB');
    expect(formatByteSize(1536)).toBe('1.5 KB');
    expect(parseByteSize(formatByteSize(20 * 1024 ** 3).replace(' ', ''))).toBe(20 * 1024 ** 3);
  });

  it('refuses negative, unit-less fractions and unknown units', () => {
    for (const bad of ['-1', '1.5', '12XB', 'GB', '', 'lots']) expect(parseByteSize(bad)).toBeUndefined();
  });
});

describe('customer limits from KILN_LIMIT_* and KILN_API_KEYS', () => {
  it('defaults to no running cap, 1000 waiting jobs and no stored-bytes limit', () => {
    const limits = customerLimits(load({ KILN_API_KEYS: `acme:${KEY}` }));
    expect(limits.for('acme')).toEqual({ running: null, queued: 1000, storedBytes: null });
  });

  it('takes the defaults from KILN_LIMIT_*, sizes with units, 0 as no limit', () => {
    const c = load({
      KILN_API_KEYS: `acme:${KEY}`,
      KILN_LIMIT_RUNNING: '4',
      KILN_LIMIT_QUEUED: '0',
      KILN_LIMIT_STORED_BYTES: '20GiB',
    });
    expect(customerLimits(c).for('anyone')).toEqual({ running: 4, queued: null, storedBytes: 20 * 1024 ** 3 });
  });

  it('reads limits after a key, for its customer, keeping the key and the others as before', () => {
    const c = load({
      KILN_API_KEYS: `acme:${KEY};running=2;queued=100;stored=50GB, acme:${KEY}-two, globex:${KEY}-g`,
      KILN_LIMIT_RUNNING: '8',
    });
    expect(c.KILN_API_KEYS).toBeInstanceOf(Map);
    expect([...c.KILN_API_KEYS]).toEqual([
      [KEY, 'acme'],
      [`${KEY}-two`, 'acme'],
      [`${KEY}-g`, 'globex'],
    ]);
    const limits = customerLimits(c);
    expect(limits.for('acme')).toEqual({ running: 2, queued: 100, storedBytes: 50 * 1024 ** 3 });
    expect(limits.for('globex')).toEqual({ running: 8, queued: 1000, storedBytes: null });
  });

  it('lets one key set a limit to 0 (none) over a default', () => {
    const c = load({ KILN_API_KEYS: `acme:${KEY};queued=0`, KILN_LIMIT_STORED_BYTES: '1000' });
    expect(customerLimits(c).for('acme')).toEqual({ running: null, queued: null, storedBytes: 1000 });
  });

  it('accepts the same limits given on two keys of one customer', () => {
    const c = load({ KILN_API_KEYS: `acme:${KEY};running=2,acme:${KEY}-two;running=2` });
    expect(c.KILN_API_KEYS).toBeInstanceOf(ApiKeyMap);
    expect(customerLimits(c).for('acme').running).toBe(2);
  });

  it('refuses two keys of one customer with different limits, naming the variable, customer and limit', () => {
    expect(() => load({ KILN_API_KEYS: `acme:${KEY};stored=1GB,acme:${KEY}-two;stored=2GB` })).toThrow(
      /^KILN_API_KEYS: customer "acme" has different stored limits on two keys \(1073741824 and 2147483648\)/,
    );
  });

  it('names the variable and the bad part of a malformed limit, in one line', () => {
    const cases: [string, RegExp][] = [
      [`acme:${KEY};speed=2`, /^KILN_API_KEYS: customer "acme": unknown limit "speed"; use running=N/],
      [`acme:${KEY};running=two`, /^KILN_API_KEYS: customer "acme": limit "running=two" must be a whole number/],
      [`acme:${KEY};running=-1`, /limit "running=-1" must be a whole number/],
      [`acme:${KEY};stored=50XB`, /^KILN_API_KEYS: customer "acme": limit "stored=50XB" must be a number of bytes/],
      [`acme:${KEY};queued=1;queued=2`, /limit "queued=2" is given twice/],
      [`acme:${KEY};`, /unknown limit ""/],
    ];
    for (const [keys, message] of cases) {
      let thrown: unknown;
      try {
        load({ KILN_API_KEYS: keys });
      } catch (err) {
        thrown = err;
      }
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain('\n');
      expect((thrown as Error).message).not.toContain(KEY);
    }
  });

  it('names a bad default variable', () => {
    expect(() => load({ KILN_API_KEYS: `acme:${KEY}`, KILN_LIMIT_STORED_BYTES: 'lots' })).toThrow(
      /^KILN_LIMIT_STORED_BYTES: must be a number of bytes, or one with a unit like 50GB/,
    );
    expect(() => load({ KILN_API_KEYS: `acme:${KEY}`, KILN_LIMIT_QUEUED: '-5' })).toThrow(
      /^KILN_LIMIT_QUEUED: must be 0 \(no limit\) or more/,
    );
  });
});

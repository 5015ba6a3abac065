import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, InputRoots, inputRoots, loadConfig } from './index.js';

const segment = fc
  .stringMatching(/^[A-Za-z0-9_.:=@ -]{1,12}$/)
  .filter((s) => s !== '.' && s !== '..' && s.trim() === s);
const absPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const customerId = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);

describe('InputRoots.parse', () => {
  it('reads plain entries as shared roots (the old form) and id=path as a customer root', () => {
    const roots = InputRoots.parse(' /srv/shared , acme=/srv/acme,acme=/srv/acme2,globex=/srv/g:x=y, media ');
    expect(roots.shared).toEqual(['/srv/shared', 'media']);
    expect(roots.rootsFor('acme')).toEqual(['/srv/acme', '/srv/acme2', '/srv/shared', 'media']);
    expect(roots.rootsFor('globex')).toEqual(['/srv/g:x=y', '/srv/shared', 'media']);
    expect(roots.rootsFor('initech')).toEqual(['/srv/shared', 'media']);
    expect(roots.customers).toEqual(['acme', 'globex']);
  });

  it('keeps paths starting with / or . as shared even when they hold "="', () => {
    expect(InputRoots.parse('/srv/a=b,./x=/y').shared).toEqual(['/srv/a=b', './x=/y']);
    expect(InputRoots.parse('').isEmpty).toBe(true);
  });

  it('refuses malformed customer entries, naming the entry', () => {
    expect(() => InputRoots.parse('acme=relative/dir')).toThrow(/"acme=relative\/dir".*absolute path/);
    expect(() => InputRoots.parse('ac me=/srv/x')).toThrow(/\[A-Za-z0-9_-\]/);
    expect(() => InputRoots.parse('=/srv/x')).toThrow(/customer root/);
    expect(() => InputRoots.parse('a.b=/srv/x')).toThrow(/\.\/a\.b=\/srv\/x/);
  });

  it('as a config field, a bad entry fails KILN_INPUT_ROOTS by name; unset means no roots', () => {
    const schema = z.object({ KILN_INPUT_ROOTS: inputRoots });
    expect(loadConfig(schema, {}).KILN_INPUT_ROOTS.isEmpty).toBe(true);
    expect(loadConfig(schema, { KILN_INPUT_ROOTS: 'acme=/a' }).KILN_INPUT_ROOTS.rootsFor('acme')).toEqual(['/a']);
    let caught: unknown;
    try {
      loadConfig(schema, { KILN_INPUT_ROOTS: 'acme=x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([
      { variable: 'KILN_INPUT_ROOTS', message: expect.stringMatching(/absolute path/) },
    ]);
  });

  it('gives back exactly the roots written, for any mix of shared and customer entries', () => {
    const entry = fc.oneof(
      absPath.map((p) => ({ id: undefined as string | undefined, path: p })),
      fc.record({ id: customerId, path: absPath }),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), customerId, (entries, probe) => {
        const raw = entries.map((e) => (e.id === undefined ? e.path : `${e.id}=${e.path}`)).join(',');
        const roots = InputRoots.parse(raw);
        const shared = [...new Set(entries.filter((e) => e.id === undefined).map((e) => e.path))];
        const own = [...new Set(entries.filter((e) => e.id === probe).map((e) => e.path))];
        expect(roots.shared).toEqual(shared);
        expect(roots.rootsFor(probe)).toEqual([...own, ...shared]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('InputRoots.allowsPath', () => {
  const roots = InputRoots.parse('/srv/shared,acme=/srv/acme,globex=/srv/globex');

  it("allows a customer its own and the shared roots, never another customer's", () => {
    expect(roots.allowsPath('acme', '/srv/acme/a.mp4')).toBe(true);
    expect(roots.allowsPath('acme', '/srv/shared/x/b.mov')).toBe(true);
    expect(roots.allowsPath('acme', '/srv/globex/a.mp4')).toBe(false);
    expect(roots.allowsPath('globex', '/srv/acme/a.mp4')).toBe(false);
    expect(roots.allowsPath('initech', '/srv/acme/a.mp4')).toBe(false);
  });

  it('resolves .. and refuses the root itself and prefix look-alikes', () => {
    for (const file of [
      '/srv/acme/../globex/a.mp4',
      '/srv/acme',
      '/srv/acme-evil/a.mp4',
      '/srv/acme/..',
      '/etc/passwd',
    ])
      expect(roots.allowsPath('acme', file), file).toBe(false);
    expect(roots.allowsPath('acme', '/srv/globex/../acme/a.mp4')).toBe(true);
  });

  it('never lets a path with .. segments out of the roots, whatever the segments', () => {
    const seg = fc.oneof(fc.constant('..'), fc.constant('.'), fc.stringMatching(/^[a-z]{1,6}$/));
    fc.assert(
      fc.property(
        fc.constantFrom('/srv/acme', '/srv/shared', '/srv/globex', '/'),
        fc.array(seg, { maxLength: 8 }),
        (base, segs) => {
          const file = [base, ...segs].join('/');
          const resolved = file
            .split('/')
            .reduce<string[]>(
              (acc, s) => (s === '..' ? acc.slice(0, -1) : s === '.' || s === '' ? acc : [...acc, s]),
              [],
            );
          const inside = ['srv/acme/', 'srv/shared/'].some(
            (r) => `${resolved.join('/')}`.startsWith(r) && resolved.length > 2,
          );
          expect(roots.allowsPath('acme', file)).toBe(inside);
        },
      ),
      { numRuns: 500 },
    );
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCustomerId } from './customer-id.js';
import { isInside } from './is-inside.js';

describe('isInside', () => {
  it('is true only for paths strictly below the root', () => {
    expect(isInside('/srv/media', '/srv/media/a.mp4')).toBe(true);
    expect(isInside('/srv/media/', '/srv/media/x/../b/c.mp4')).toBe(true);
    expect(isInside('/srv/media', '/srv/media')).toBe(false);
    expect(isInside('/srv/media', '/srv/media-other/a.mp4')).toBe(false);
    expect(isInside('/srv/media', '/srv/media/../secret')).toBe(false);
    expect(isInside('/srv/media', '/etc/passwd')).toBe(false);
  });

  it('resolves relative paths against the working directory', () => {
    expect(isInside('.', path.join(process.cwd(), 'a'))).toBe(true);
    expect(isInside('.', '..')).toBe(false);
  });
});

describe('isCustomerId', () => {
  it('accepts letters, digits, "_" and "-" up to 64 characters, nothing else', () => {
    expect(['acme', 'A_b-9', 'x'.repeat(64)].map(isCustomerId)).toEqual([true, true, true]);
    expect(['', 'x'.repeat(65), '../acme', 'a b', 'a/b', 'é'].map(isCustomerId)).toEqual(Array(6).fill(false));
  });
});

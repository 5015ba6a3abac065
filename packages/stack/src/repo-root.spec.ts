import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appEntry, findRepoRoot } from './repo-root.js';

describe('findRepoRoot', () => {
  it('walks up to the package.json named kiln', () => {
    const root = findRepoRoot();
    expect((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string }).name).toBe('kiln');
    expect(path.dirname(fileURLToPath(import.meta.url)).startsWith(root)).toBe(true);
  });

  it('fails clearly outside the repository', () => {
    expect(() => findRepoRoot('/')).toThrow(/package\.json named "kiln"/);
  });

  it('maps apps to their built entry points', () => {
    expect(appEntry('/r', 'api')).toBe('/r/apps/api/dist/main.js');
    expect(appEntry('/r', 'dashboard')).toBe('/r/apps/dashboard/dist/server/main.js');
  });
});

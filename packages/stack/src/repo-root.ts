import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The apps `npm start` and the tests run as processes. */
export type AppName = 'api' | 'webhooks' | 'worker' | 'dashboard';

/**
 * The monorepo root: the nearest folder at or above `from` whose package.json is named `kiln`.
 * Walking up (rather than a fixed `../..`) works from `src/` under vitest and from `dist/`.
 */
export function findRepoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = path.resolve(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'kiln') return dir;
      } catch {
        // an unreadable package.json is not ours: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the Kiln repository root (a package.json named "kiln") above ${from}`);
    dir = parent;
  }
}

/** The built entry point of an app, as `node <path>` runs it (the dashboard's is its server). */
export function appEntry(root: string, app: AppName): string {
  return path.join(root, 'apps', app, 'dist', app === 'dashboard' ? 'server/main.js' : 'main.js');
}

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: the nearest folder above this file whose package.json is named `kiln`. */
export function findRepoRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kiln') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Kiln repository root (package.json named "kiln")');
    dir = parent;
  }
}

/** The entry point of an app, as `node <path>` runs it. */
export function appEntry(root: string, app: 'api' | 'webhooks' | 'worker' | 'dashboard'): string {
  return path.join(root, 'apps', app, 'dist', app === 'dashboard' ? 'server/main.js' : 'main.js');
}

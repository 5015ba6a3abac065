#!/usr/bin/env node
// The `kiln` command. npm links a workspace's bins when it installs, before anything is built, and
// skips a bin whose file is missing: so the bin is this committed file, which runs the built CLI.
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    'kiln: the CLI is not built yet. Run `npm run build` (or `npm start`, which builds) in the Kiln repository first.\n',
  );
  process.exit(1);
}
await import(built.href);

import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

const SCRATCH_PREFIX = '.tmp-';

/** A fresh scratch name in `dir` for a file that will become `name` (hidden, never served). */
export function scratchName(dir: string, name: string): string {
  return path.join(dir, `${SCRATCH_PREFIX}${randomUUID()}-${name}`);
}

/**
 * Removes the scratch files and folders a crashed earlier attempt left in `dir` (a missing `dir`
 * is fine) and returns how many. Call it when an attempt starts: BullMQ's lock guarantees no other
 * worker is writing there then.
 */
export async function removeScratch(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith(SCRATCH_PREFIX));
  await Promise.all(stale.map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
  return stale.length;
}

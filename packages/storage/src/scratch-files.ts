import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

const SCRATCH_PREFIX = '.tmp-';

/** A fresh scratch name in `dir` for a file that will become `name` (hidden, never served). */
function scratchName(dir: string, name: string): string {
  return path.join(dir, `${SCRATCH_PREFIX}${randomUUID()}-${name}`);
}

const RUN_PREFIX = `${SCRATCH_PREFIX}run-`;
const RUN_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The folder in `dir` that holds one run's scratch files (`.tmp-run-<runId>`). */
function runFolder(runId: string): string {
  if (!RUN_ID.test(runId)) throw new RangeError(`unsafe run id: ${JSON.stringify(runId)}`);
  return `${RUN_PREFIX}${runId}`;
}

/**
 * Scratch paths handed out in each run folder and not yet stored or discarded. A run asks for all
 * its outputs' scratch paths before the first encode, so the folder must outlive the first output
 * stored from it: it goes with the last.
 */
const openInRunFolder = new Map<string, number>();

/**
 * A fresh scratch path in `dir` for a file or folder that will become `name`. With a run id it is
 * `<dir>/.tmp-run-<runId>/<name>`: each run (attempt) of a job has its own folder, so two runs of
 * one job (one that lost its lock and the one that took the job over) never share a scratch file.
 */
export async function scratchPath(dir: string, name: string, runId?: string): Promise<string> {
  if (runId === undefined) return scratchName(dir, name);
  const own = path.join(dir, runFolder(runId));
  await mkdir(own, { recursive: true });
  openInRunFolder.set(own, (openInRunFolder.get(own) ?? 0) + 1);
  return path.join(own, name);
}

/**
 * Called once a scratch path was stored or discarded: removes the run folder it was in when no
 * other scratch path handed out there is still open, and the folder is empty (nothing to do for a
 * path outside a run folder).
 */
export async function pruneRunFolder(scratch: string): Promise<void> {
  const parent = path.dirname(scratch);
  if (!path.basename(parent).startsWith(RUN_PREFIX)) return;
  const open = (openInRunFolder.get(parent) ?? 1) - 1;
  if (open > 0) {
    openInRunFolder.set(parent, open);
    return;
  }
  openInRunFolder.delete(parent);
  await rmdir(parent).catch(() => undefined);
}

/**
 * Removes the scratch files and folders earlier runs left in `dir` (a missing `dir` is fine),
 * except the folder of the run `keepRunId`, and returns how many. Another run's folder is never
 * in use by a run that may still store: call it while holding the job's lock, once the run's own
 * outputs are stored (a run that lost its lock cannot store anything, so its files are garbage).
 */
export async function removeScratch(dir: string, keepRunId?: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const keep = keepRunId === undefined ? undefined : runFolder(keepRunId);
  const stale = names.filter((n) => n.startsWith(SCRATCH_PREFIX) && n !== keep);
  await Promise.all(stale.map((n) => rm(path.join(dir, n), { recursive: true, force: true })));
  return stale.length;
}

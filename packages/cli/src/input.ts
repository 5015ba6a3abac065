import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

/** What `kiln submit` was given: a URL the API reads itself, or a local file to upload first. */
export type SubmitSource = { kind: 'url'; input: string } | { kind: 'file'; path: string; sizeBytes: number };

/** Schemes passed to the API unchanged; `upload://` names a file uploaded earlier. */
const PASS_THROUGH = /^(https?|file|upload):\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Decides how to hand `arg` to the API: `http(s)://`, `file://` and `upload://` URLs go through
 * exactly as typed (a `file://` path is checked by the server against its input roots, which the
 * CLI cannot know); anything without a scheme is a local file that must exist.
 */
export async function resolveSubmitSource(arg: string, cwd: string): Promise<SubmitSource> {
  if (PASS_THROUGH.test(arg)) return { kind: 'url', input: arg };
  if (ANY_SCHEME.test(arg))
    throw new UsageError(`unsupported input "${arg}": give a local file, an http(s):// URL or a file:// URL`);
  const file = path.resolve(cwd, arg);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw new UsageError(`no such file: ${file}`);
  if (!info.isFile()) throw new UsageError(`not a regular file: ${file}`);
  return { kind: 'file', path: file, sizeBytes: info.size };
}

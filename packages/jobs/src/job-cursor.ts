import { InvalidCursorError } from './jobs.errors.js';

/**
 * Where a page of `GET /v1/jobs` resumes: after the job with this creation time (the index
 * score) and id, or (`offset`) after the first n jobs of the customer's index, the form cursors
 * had before the per-status indexes; those still work.
 */
export type JobCursor = { kind: 'key'; score: string; id: string } | { kind: 'offset'; offset: number };

/** The opaque `nextCursor` that resumes after the job with this index score and id. */
export function encodeJobCursor(score: string, id: string): string {
  return Buffer.from(`k:${score}:${id}`).toString('base64url');
}

/** Reads a cursor from `encodeJobCursor` (or an older offset cursor); InvalidCursorError otherwise. */
export function decodeJobCursor(cursor: string): JobCursor {
  const text = Buffer.from(cursor, 'base64url').toString();
  const key = /^k:(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (key) return { kind: 'key', score: key[1]!, id: key[2]! };
  const offset = /^o:(\d{1,9})$/.exec(text);
  if (offset) return { kind: 'offset', offset: Number(offset[1]) };
  throw new InvalidCursorError('cursor is not a value this API returned');
}

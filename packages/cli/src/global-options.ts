import { InvalidArgumentError } from 'commander';
import { JOB_STATUSES, type JobStatus } from '@kiln/client';
import { UsageError } from './errors.js';

/** The API URL used when neither `--api-url` nor `KILN_API_URL` is set. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** Options every command shares, after flags and environment are combined. */
export interface GlobalOptions {
  apiUrl: string;
  key: string;
  json: boolean;
}

/**
 * Combines the global flags with the environment (a flag wins over its variable) and checks them,
 * so a missing key is reported before any request is made, naming both ways to give it.
 */
export function resolveGlobalOptions(
  flags: { apiUrl?: string; key?: string; json?: boolean },
  env: Record<string, string | undefined>,
): GlobalOptions {
  const apiUrl = nonEmpty(flags.apiUrl) ?? nonEmpty(env['KILN_API_URL']) ?? DEFAULT_API_URL;
  if (!isHttpUrl(apiUrl))
    throw new UsageError(`invalid API URL "${apiUrl}" (from --api-url or KILN_API_URL): expected an http(s):// URL`);
  const key = nonEmpty(flags.key) ?? nonEmpty(env['KILN_API_KEY']);
  if (key === undefined) throw new UsageError('missing API key: pass --key <key> or set KILN_API_KEY');
  return { apiUrl, key, json: flags.json === true };
}

/** Commander parser for `--limit`: an integer the API accepts (1-100). */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 100)
    throw new InvalidArgumentError('expected a whole number from 1 to 100.');
  return n;
}

/** Commander parser for `--status`: one of the job statuses. */
export function parseStatus(value: string): JobStatus {
  const status = JOB_STATUSES.find((s) => s === value);
  if (status === undefined) throw new InvalidArgumentError(`expected one of ${JOB_STATUSES.join(', ')}.`);
  return status;
}

/** Commander collector for repeatable options (`--preset a --preset b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t === undefined || t === '' ? undefined : t;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

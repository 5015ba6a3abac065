import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../http.errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the auth middleware on every `/v1` route. */
    customerId?: string;
    /** A stable, non-secret id of the API key used (a prefix of its SHA-256), for per-key limits. */
    apiKeyId?: string;
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Bearer API-key authentication. Keys are looked up by their SHA-256, so the lookup's timing
 * says nothing about how much of a guessed key matched.
 */
export function bearerAuth(keys: ReadonlyMap<string, string>): RequestHandler {
  const byDigest = new Map([...keys].map(([key, customerId]) => [digest(key), customerId]));
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const keyDigest = m ? digest(m[1]!) : undefined;
    const customerId = keyDigest ? byDigest.get(keyDigest) : undefined;
    if (!keyDigest || !customerId) {
      next(new UnauthorizedError(m ? 'unknown API key' : undefined));
      return;
    }
    req.customerId = customerId;
    req.apiKeyId = keyDigest.slice(0, 32);
    next();
  };
}

/** The authenticated customer of a request (the auth middleware ran before). */
export function customerOf(req: { customerId?: string | undefined }): string {
  if (!req.customerId) throw new UnauthorizedError();
  return req.customerId;
}

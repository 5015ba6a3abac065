import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../http.errors.js';
import { TokenRejectedError } from '../services/signed-tokens.errors.js';
import type { SignedTokensService, ViewerGrant } from '../services/signed-tokens.service.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the auth middleware on every `/v1` route. */
    customerId?: string;
    /** A stable, non-secret id of the API key used (a prefix of its SHA-256), for per-key limits; unset for a viewer token. */
    apiKeyId?: string;
    /** Set when the bearer is a viewer token instead of an API key: what it grants. */
    viewer?: ViewerGrant;
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/** A JWT's shape (three base64url parts): only these are worth verifying as a viewer token. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Bearer authentication: an API key, or else a viewer token (see `POST /v1/realtime/viewer-tokens`),
 * whose grant lands in `req.viewer` for the viewer scope to restrict. Keys are looked up by their
 * SHA-256, so the lookup's timing says nothing about how much of a guessed key matched. An
 * expired or forged viewer token is a 401, as an unknown key is.
 */
export function bearerAuth(keys: ReadonlyMap<string, string>, tokens: SignedTokensService): RequestHandler {
  const byDigest = new Map([...keys].map(([key, customerId]) => [digest(key), customerId]));
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedError();
    const keyDigest = digest(m[1]!);
    const customerId = byDigest.get(keyDigest);
    if (customerId) {
      req.customerId = customerId;
      req.apiKeyId = keyDigest.slice(0, 32);
      return next();
    }
    if (!JWT_SHAPE.test(m[1]!)) throw new UnauthorizedError('unknown API key');
    try {
      req.viewer = await tokens.verifyViewer(m[1]!);
    } catch (err) {
      if (!(err instanceof TokenRejectedError)) throw err;
      throw new UnauthorizedError(
        err.reason === 'expired'
          ? 'viewer token expired: ask for a new one'
          : 'unknown API key or invalid viewer token',
      );
    }
    req.customerId = req.viewer.customerId;
    next();
  };
}

/** The authenticated customer of a request (the auth middleware ran before). */
export function customerOf(req: { customerId?: string | undefined }): string {
  if (!req.customerId) throw new UnauthorizedError();
  return req.customerId;
}

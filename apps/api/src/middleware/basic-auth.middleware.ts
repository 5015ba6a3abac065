import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../http.errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * HTTP basic authentication against one user and password. Both are compared as SHA-256 digests
 * with `timingSafeEqual` (equal lengths whatever was sent), and both comparisons always run, so
 * the answer's timing says nothing about how much matched.
 */
export function basicAuth(user: string, password: string, realm: string): RequestHandler {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req, res, next) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    const userOk = timingSafeEqual(digest(sep >= 0 ? decoded.slice(0, sep) : ''), expectedUser);
    const passwordOk = timingSafeEqual(digest(sep >= 0 ? decoded.slice(sep + 1) : ''), expectedPassword);
    if (sep >= 0 && userOk && passwordOk) {
      next();
      return;
    }
    res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
    next(new UnauthorizedError('admin credentials required (HTTP basic authentication)'));
  };
}

import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers on every response. The API answers JSON, so its Content-Security-Policy allows
 * nothing at all; the pages it serves (/docs, /admin/queues) set their own.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'none'"],
        'frame-ancestors': ["'none'"],
      },
    },
  });
}

/**
 * The CSP Bull Board's page needs: its scripts and styles come from its own static route, plus
 * inline styles. helmet's defaults without `upgrade-insecure-requests`, which would break the page
 * when the API is reached over plain HTTP on a private network.
 */
export function adminPageCsp(): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: true, directives: { 'upgrade-insecure-requests': null } });
}

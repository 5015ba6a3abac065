import { createServer, type Server } from 'node:http';
import { resolve, sep } from 'node:path';
import { healthRouter, jsonErrorHandler, readOnlyMethods, sendError } from '@kiln/app-kit';
import { createLogger, type Logger } from '@kiln/logger';
import express, { type RequestHandler } from 'express';

/** What {@link createDashboardServer} needs. */
export interface DashboardServerOptions {
  /** The built page (dist/web): index.html and Vite's hashed assets. */
  webRoot: string;
  /** The API's public base URL, handed to the page as `/config.json` and allowed by the CSP. */
  apiUrl: string;
  /** Where the API's signed URLs point when that is not `apiUrl` (the API's KILN_PUBLIC_URL): allowed for media too. */
  publicUrl?: string;
  logger?: Logger;
}

/**
 * The Content-Security-Policy of the page: scripts and styles from this server only, XHR and
 * fetch to this server and the API, WebSockets to any host because the Pusher host comes from
 * `/v1/me` at run time, and media and images (players and thumbnails of the job detail view)
 * from the API's signed URLs; `blob:` media because hls.js plays through MediaSource.
 */
function contentSecurityPolicy(apiUrl: string, publicUrl: string | undefined): string {
  const api = [...new Set([apiUrl, publicUrl ?? apiUrl].map((u) => new URL(u).origin))].join(' ');
  return [
    "default-src 'self'",
    `connect-src 'self' ${api} ws: wss:`,
    `img-src 'self' blob: ${api}`,
    `media-src 'self' blob: ${api}`,
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The page's security headers, on every answer. */
function securityHeaders(apiUrl: string, publicUrl: string | undefined): RequestHandler {
  const headers = {
    'Content-Security-Policy': contentSecurityPolicy(apiUrl, publicUrl),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

/**
 * The dashboard's tiny HTTP server: the built page as static files (express.static: no directory
 * listing, no dotfiles, nothing outside `webRoot`; whatever it refuses falls through to a 404),
 * `GET /config.json` and `GET /healthz`. Returned without listening, so tests and `main.ts`
 * choose the port.
 */
export function createDashboardServer(options: DashboardServerOptions): Server {
  const webRoot = resolve(options.webRoot);
  const assets = resolve(webRoot, 'assets') + sep;
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders(options.apiUrl, options.publicUrl));
  app.use(readOnlyMethods);
  app.use(healthRouter({}));
  app.get('/config.json', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ apiUrl: options.apiUrl });
  });
  app.use(
    express.static(webRoot, {
      // A directory is not a page, and `..`, `%00` or a malformed escape fall through to the 404.
      redirect: false,
      cacheControl: false,
      // Vite puts content-hashed files under /assets/: safe to cache forever. Everything else
      // (index.html above all) must be revalidated so a deploy is picked up at once.
      setHeaders: (res, file) =>
        res.setHeader('Cache-Control', file.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
  );
  app.use((_req, res) => {
    res.set('Cache-Control', 'no-store');
    sendError(res, 404, 'not_found', 'not found');
  });
  app.use(jsonErrorHandler(options.logger ?? createLogger({ name: 'dashboard', level: 'silent' })));
  return createServer(app);
}

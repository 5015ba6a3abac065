import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, resolve } from 'node:path';
import { isInside } from '@kiln/config';

/** The pino-compatible subset the server logs with. */
export interface ServerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** What {@link createDashboardServer} needs. */
export interface DashboardServerOptions {
  /** The built page (dist/web): index.html and Vite's hashed assets. */
  webRoot: string;
  /** The API's public base URL, handed to the page as `/config.json` and allowed by the CSP. */
  apiUrl: string;
  logger?: ServerLogger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * The Content-Security-Policy of the page: scripts, styles and images from this server only, XHR
 * and fetch to this server and the API, and WebSockets to any host because the Pusher host comes
 * from `/v1/me` at run time.
 */
export function contentSecurityPolicy(apiUrl: string): string {
  const api = new URL(apiUrl).origin;
  return [
    "default-src 'self'",
    `connect-src 'self' ${api} ws: wss:`,
    "img-src 'self' blob:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The dashboard's tiny HTTP server: the built page as static files (no directory listing, nothing
 * outside `webRoot`), `GET /config.json` and `GET /healthz`. Returned without listening, so tests
 * and `main.ts` choose the port.
 */
export function createDashboardServer(options: DashboardServerOptions): Server {
  const webRoot = resolve(options.webRoot);
  const securityHeaders: Record<string, string> = {
    'Content-Security-Policy': contentSecurityPolicy(options.apiUrl),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
  const configBody = JSON.stringify({ apiUrl: options.apiUrl });
  const log = options.logger;

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string,
    head: boolean,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...securityHeaders,
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(head ? undefined : body);
  };
  const notFound = (res: ServerResponse, head: boolean) =>
    send(res, 404, 'text/plain; charset=utf-8', 'Not found\n', head, { 'Cache-Control': 'no-store' });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (method !== 'GET' && !head) {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', false, { Allow: 'GET, HEAD' });
      return;
    }
    // Only the path matters; take it raw, before any URL normalisation could hide a "..".
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (rawPath === '/healthz')
      return send(res, 200, 'application/json; charset=utf-8', '{"status":"ok"}', head, {
        'Cache-Control': 'no-store',
      });
    if (rawPath === '/config.json')
      return send(res, 200, 'application/json; charset=utf-8', configBody, head, { 'Cache-Control': 'no-store' });

    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return notFound(res, head);
    }
    if (path.includes('\0') || path.includes('\\') || !path.startsWith('/')) return notFound(res, head);
    if (path === '/') path = '/index.html';
    const file = resolve(webRoot, `.${path}`);
    if (!isInside(webRoot, file)) return notFound(res, head);

    let size: number;
    try {
      const info = await stat(file);
      if (!info.isFile()) return notFound(res, head);
      size = info.size;
    } catch {
      return notFound(res, head);
    }
    // Vite puts content-hashed files under /assets/: safe to cache forever. Everything else
    // (index.html above all) must be revalidated so a deploy is picked up at once.
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': cache,
    });
    if (head) {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', (err) => {
      log?.error({ err, file }, 'reading a static file failed');
      res.destroy(err);
    });
    stream.pipe(res);
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log?.error({ err }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n', false);
      else res.destroy();
    });
  });
}

import http from 'node:http';
import type { Registry } from 'prom-client';

/** The worker's small HTTP side: `/healthz` (alive and running), `/readyz` (Redis and Pusher answer) and `/metrics`. */
export function createWorkerHttpServer(deps: {
  registry: Registry;
  healthy: () => boolean;
  ready: () => Promise<Record<string, boolean>>;
}): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET')
      return send(
        405,
        'application/json',
        JSON.stringify({ error: { code: 'method_not_allowed', message: 'use GET' } }),
      );
    if (req.url === '/healthz') {
      const ok = deps.healthy();
      return send(ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ok' : 'stopping' }));
    }
    if (req.url === '/readyz') {
      deps.ready().then(
        (checks) => {
          const ok = Object.values(checks).every(Boolean);
          send(ok ? 200 : 503, 'application/json', JSON.stringify({ status: ok ? 'ready' : 'not_ready', checks }));
        },
        () => send(503, 'application/json', JSON.stringify({ status: 'not_ready' })),
      );
      return;
    }
    if (req.url === '/metrics') {
      deps.registry.metrics().then(
        (text) => send(200, deps.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable'),
      );
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: { code: 'not_found', message: `no route for ${req.url}` } }));
  });
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the proxy passed on: what the server behind it saw. */
interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

/** A reverse proxy in front of one server that keeps every request's headers, see {@link startRecordingProxy}. */
export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request answered so far, in order. */
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * Starts a loopback reverse proxy to `target()` (asked per request, so the proxy can exist before
 * what it fronts, e.g. as an app's public URL) that records each request's method, URL, headers
 * and status: a test reads there what a browser really sent to the server.
 */
export async function startRecordingProxy(target: () => string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const to = new URL(req.url ?? '/', target());
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        requests.push({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          status: answer.statusCode ?? 0,
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The browser dropped a request it no longer needs (media elements do, between ranges).
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

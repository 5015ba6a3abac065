import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a {@link WebhookReceiver} got, and what it answered. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** How a receiver path answers the n-th request (from 1) carrying one `webhook-id`. */
type Answer = (nth: number) => number;

/**
 * A customer's webhook receiver for whole-stack tests: a real HTTP server on 127.0.0.1 that
 * records every request and answers each path as told (200 by default).
 */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  received: ReceivedWebhook[];
  /** Sets how `path` answers. */
  answer(path: string, fn: Answer): void;
  /** What `path` received, in order. */
  at(path: string): ReceivedWebhook[];
  stop(): Promise<void>;
}

/** Starts a {@link WebhookReceiver}. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers = new Map<string, Answer>();
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const id = `${path} ${String(req.headers['webhook-id'])}`;
      const nth = (seen.get(id) ?? 0) + 1;
      seen.set(id, nth);
      const status = (answers.get(path) ?? (() => 200))(nth);
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, fn) => answers.set(path, fn),
    at: (path) => received.filter((r) => r.path === path),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One HTTP request a publisher made to the Pusher API, as it went over the wire. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  responseBody: string;
  at: number;
}

/** The channels a recorded `/events` or `/batch_events` request published to. */
export function channelsOf(request: RecordedRequest): string[] {
  const body = request.body as { channel?: string; channels?: string[]; batch?: { channel: string }[] } | undefined;
  if (!body || typeof body !== 'object') return [];
  return [...(body.channel ? [body.channel] : []), ...(body.channels ?? []), ...(body.batch ?? []).map((b) => b.channel)];
}

export interface PusherRecorder {
  port: number;
  requests: RecordedRequest[];
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A reverse proxy between our publishers and soketi that records every request unchanged, so a
 * test counts the real Pusher HTTP calls made (per channel) instead of trusting our own counters.
 */
export async function startPusherRecorder(opts: { targetHost: string; targetPort: number }): Promise<PusherRecorder> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const headers = { ...req.headers, host: `${opts.targetHost}:${opts.targetPort}` };
      const upstream = http.request({ host: opts.targetHost, port: opts.targetPort, method: req.method, path: req.url, headers }, (up) => {
        const out: Buffer[] = [];
        up.on('data', (c: Buffer) => out.push(c));
        up.on('end', () => {
          const responseBody = Buffer.concat(out).toString();
          const [p, q = ''] = (req.url ?? '').split('?');
          let body: unknown = raw.toString();
          try {
            body = JSON.parse(raw.toString());
          } catch {
            // keep the text
          }
          requests.push({ method: req.method ?? '', path: p ?? '', query: q, body, status: up.statusCode ?? 0, responseBody, at: Date.now() });
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(out));
        });
      });
      upstream.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `recorder: upstream failed: ${err.message}` }));
      });
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    reset: () => void requests.splice(0),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

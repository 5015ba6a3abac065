import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One HTTP request a publisher made to the Pusher API, as it went over the wire, and soketi's answer. */
export interface RecordedRequest {
  method: string;
  /** e.g. `/apps/123/events` or `/apps/123/batch_events`. */
  path: string;
  /** The raw query string without `?` (auth_key, auth_signature, body_md5, ...). */
  query: string;
  /** The JSON body parsed, else its text; undefined when empty. */
  body: unknown;
  status: number;
  responseBody: string;
  /** When the response came back (ms since epoch). */
  at: number;
}

/**
 * The channels a recorded request published to: `channel`/`channels` of an `/events` body and
 * every `batch[].channel` of a `/batch_events` body (one entry per event, so duplicates count).
 */
export function channelsOf(request: RecordedRequest): string[] {
  const body = request.body as { channel?: unknown; channels?: unknown; batch?: unknown } | undefined;
  if (!body || typeof body !== 'object') return [];
  const out: string[] = [];
  if (typeof body.channel === 'string') out.push(body.channel);
  if (Array.isArray(body.channels)) out.push(...body.channels.filter((c): c is string => typeof c === 'string'));
  if (Array.isArray(body.batch))
    for (const event of body.batch as { channel?: unknown }[])
      if (typeof event?.channel === 'string') out.push(event.channel);
  return out;
}

/** A running {@link startPusherRecorder}. */
export interface PusherRecorder {
  host: string;
  /** Point publishers' PUSHER_PORT here. */
  port: number;
  /** Every request forwarded so far, in the order their responses came back. */
  requests: RecordedRequest[];
  /** The recorded requests that published to `channel`. */
  requestsFor(channel: string): RecordedRequest[];
  /** Forgets what was recorded (the array is emptied in place). */
  reset(): void;
  stop(): Promise<void>;
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * A reverse proxy in front of soketi that forwards every request unchanged (same path, query,
 * headers and body, so signatures still verify) and records it with the answer, so a test can
 * count the real Pusher HTTP calls our publishers made, per channel, instead of trusting our
 * own counters. A request is recorded before its response is passed on.
 */
export async function startPusherRecorder(opts: { targetHost: string; targetPort: number }): Promise<PusherRecorder> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const upstream = http.request(
        {
          host: opts.targetHost,
          port: opts.targetPort,
          method: req.method,
          path: url,
          headers: { ...req.headers, host: `${opts.targetHost}:${opts.targetPort}` },
        },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (c: Buffer) => out.push(c));
          up.on('end', () => {
            const response = Buffer.concat(out);
            requests.push({
              method: req.method ?? '',
              path: queryAt >= 0 ? url.slice(0, queryAt) : url,
              query: queryAt >= 0 ? url.slice(queryAt + 1) : '',
              body: parseBody(raw),
              status: up.statusCode ?? 0,
              responseBody: response.toString('utf8'),
              at: Date.now(),
            });
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(response);
          });
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `pusher recorder: upstream failed: ${err.message}` }));
      });
      upstream.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    requests,
    requestsFor: (channel) => requests.filter((r) => channelsOf(r).includes(channel)),
    reset: () => void requests.splice(0),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Publishers keep connections alive; without this, close() would wait for them to idle out.
        server.closeAllConnections();
      })),
  };
}

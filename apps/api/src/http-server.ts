import http, { type RequestListener } from 'node:http';
import { z } from 'zod';

const seconds = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `must be a number of seconds` })
    .int('must be a whole number')
    .min(1, `must be at least 1 (${what})`)
    .max(3600, 'must be at most 3600')
    .default(fallback);

/** The API server's connection timeouts, in the API's config schema (see README, "Configuration"). */
export const httpTimeoutFields = {
  /** A connection that sends and receives nothing for this long is closed, also in the middle of a body. */
  KILN_HTTP_IDLE_TIMEOUT_S: seconds(120, 'an idle connection is closed after it'),
  /** A request's headers must have arrived this long after its first byte (slowloris). */
  KILN_HTTP_HEADERS_TIMEOUT_S: seconds(30, 'headers must arrive within it'),
};

/** What {@link createHttpServer} needs to know. */
export interface HttpTimeouts {
  idleTimeoutS: number;
  headersTimeoutS: number;
}

/**
 * Longer than the keep-alive of clients and load balancers, so the server is not the side that
 * closes an idle connection just as a request is sent on it.
 */
const KEEP_ALIVE_MS = 65_000;
/** How often Node looks for connections past their headers timeout (its default, 30 s, would add up to 30 s to it). */
const CHECK_INTERVAL_MS = 1_000;

/**
 * The API's HTTP server. There is no limit on a request's total time (Node's `requestTimeout`,
 * 300 s by default, would cut a 2 GiB upload at a modest rate): a body may take as long as it
 * keeps flowing, up to KILN_MAX_UPLOAD_BYTES. What is bounded instead is silence (the idle
 * timeout, mid-body too) and the headers (a slowloris trickle hits the headers timeout).
 */
export function createHttpServer(app: RequestListener, timeouts: HttpTimeouts): http.Server {
  const server = http.createServer(
    {
      requestTimeout: 0,
      headersTimeout: timeouts.headersTimeoutS * 1000,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    app,
  );
  // Socket inactivity: without a 'timeout' listener Node destroys the socket.
  server.timeout = timeouts.idleTimeoutS * 1000;
  return server;
}

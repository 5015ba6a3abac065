import { createHash, createHmac } from 'node:crypto';

/** A request ready for `fetch`: the path with its signed query string, and the body to send. */
export interface SignedPusherRequest {
  /** e.g. `/apps/123/events?auth_key=...&auth_signature=...`. */
  pathWithQuery: string;
  body: string | undefined;
}

/**
 * Signs a Pusher HTTP API request as the protocol specifies (HMAC-SHA256 of method, path and
 * the sorted query including `body_md5`), so a test can talk to soketi or the recorder without a
 * client library, or craft a request with a wrong secret on purpose.
 */
export function signPusherRequest(opts: {
  method: 'GET' | 'POST';
  path: string;
  key: string;
  secret: string;
  body?: unknown;
  params?: Record<string, string>;
  timestamp?: number;
}): SignedPusherRequest {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const params: Record<string, string> = {
    ...opts.params,
    auth_key: opts.key,
    auth_timestamp: String(opts.timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    ...(body !== undefined ? { body_md5: createHash('md5').update(body).digest('hex') } : {}),
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = createHmac('sha256', opts.secret).update(`${opts.method}\n${opts.path}\n${query}`).digest('hex');
  return { pathWithQuery: `${opts.path}?${query}&auth_signature=${signature}`, body };
}

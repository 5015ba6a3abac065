import type { LookupAddress } from 'node:dns';
import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import {
  AddressAllowlist,
  isHostName,
  normalizeHost,
  pinnedLookup,
  requestHostname,
  systemLookup,
  type LookupAll,
} from '@kiln/address-policy';

/** What one attempt got: the receiver's status (null: none), how long it took, and why it failed (null: a 2xx). */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The address policy refused the receiver: retrying will not help until the operator allows it. */
  refused: boolean;
}

/** What a {@link WebhookSender} is configured with. */
export interface WebhookSenderOptions {
  /** KILN_WEBHOOK_ALLOW_HOSTS: private receivers that may be contacted anyway. */
  allowHosts: readonly string[];
  /** KILN_WEBHOOK_TIMEOUT_MS: limit for DNS, connect and the whole answer. */
  timeoutMs: number;
  lookup?: LookupAll;
}

/** A receiver's answer body is read and dropped, at most this much of it. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Thrown inside the sender only: the receiver was refused by the address policy. */
class RefusedError extends Error {}

/**
 * POSTs signed webhook bodies to customers' receivers under the inputs' address policy: the host
 * is resolved once, every address checked (private ones refused unless in KILN_WEBHOOK_ALLOW_HOSTS),
 * and the socket goes to exactly those addresses (no DNS rebinding). A 2xx is success; redirects
 * are not followed (a 3xx is a failed attempt); the whole exchange has one time limit.
 */
export class WebhookSender {
  private readonly allowlist: AddressAllowlist;
  private readonly lookup: LookupAll;

  constructor(private readonly opts: WebhookSenderOptions) {
    this.allowlist = new AddressAllowlist(opts.allowHosts);
    this.lookup = opts.lookup ?? systemLookup;
  }

  /** Sends `body` with `headers` to `url`; never throws, the result says what happened. */
  async send(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const t0 = performance.now();
    const took = () => Math.round(performance.now() - t0);
    const stop = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new RefusedError(`refused: only http and https receivers are contacted, not ${target.protocol}`);
      const addresses = await this.resolve(target.hostname, stop);
      const statusCode = await post(target, addresses, body, headers, stop);
      const ok = statusCode >= 200 && statusCode < 300;
      return { ok, statusCode, durationMs: took(), error: ok ? null : answerError(statusCode), refused: false };
    } catch (err) {
      const refused = err instanceof RefusedError;
      const error = stop.aborted ? `no answer within ${this.opts.timeoutMs} ms` : networkError(err);
      return { ok: false, statusCode: null, durationMs: took(), error, refused };
    }
  }

  /** The checked addresses of `host`; a RefusedError names why the policy refused it. */
  private async resolve(host: string, stop: AbortSignal): Promise<LookupAddress[]> {
    const name = normalizeHost(host);
    let addresses: LookupAddress[];
    if (isIP(name)) addresses = [{ address: name, family: isIP(name) }];
    else if (!isHostName(name)) throw new RefusedError(`${name} is not a valid host name`);
    else addresses = await Promise.race([this.lookup(name), aborted(stop)]);
    if (addresses.length === 0) throw new Error(`${name} does not resolve`);
    const why = this.allowlist.refusal(
      name,
      addresses.map((a) => a.address),
    );
    if (why) throw new RefusedError(`refused: ${name}: ${why} (add it to KILN_WEBHOOK_ALLOW_HOSTS to allow it)`);
    return addresses;
  }
}

function aborted(stop: AbortSignal): Promise<never> {
  return new Promise((_, reject) => stop.addEventListener('abort', () => reject(stop.reason), { once: true }));
}

/** How a non-2xx answer reads in the deliveries list. */
function answerError(status: number): string {
  const text = `HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  return status >= 300 && status < 400 ? `${text} (redirects are not followed)` : text;
}

function networkError(err: unknown): string {
  if (err instanceof RefusedError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  const message = err instanceof Error ? err.message : String(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/** POSTs `body`; the socket can only reach `addresses`. Resolves with the status once the answer is read. */
function post(
  url: URL,
  addresses: LookupAddress[],
  body: string,
  headers: Record<string, string>,
  stop: AbortSignal,
): Promise<number> {
  const lookup = pinnedLookup(addresses, url.hostname);
  const hostname = requestHostname(url);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request({
      hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      // A fresh connection per attempt: a pooled socket could have been opened under other rules.
      agent: false,
      lookup,
      signal: stop,
      ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
      headers: {
        ...headers,
        host: url.host,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'kiln-webhooks',
      },
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.on('close', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

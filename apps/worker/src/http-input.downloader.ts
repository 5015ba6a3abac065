import type { LookupAddress } from 'node:dns';
import { createWriteStream } from 'node:fs';
import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { pinnedLookup, requestHostname } from '@kiln/address-policy';
import { ByteCounter } from '@kiln/storage';
import type { AddressPolicy } from './address-policy.js';
import { InputCancelledError, InputError, InputUnavailableError } from './input.errors.js';

export interface HttpInputDownloaderOptions {
  /** Which hosts may be contacted; every hop of a redirect chain is checked again. */
  policy: AddressPolicy;
  /** Largest input accepted, in bytes (declared Content-Length and bytes actually received). */
  maxBytes: number;
  /** Limit for DNS + connect + response headers, and for any silence while the body streams. */
  timeoutMs: number;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Statuses worth another attempt later; every other 4xx is the customer's to fix. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);
/** A certificate that fails verification will not pass on the next attempt either. */
const TLS_REJECTIONS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Downloads an `http(s)://` input to a local file, safely: hosts are checked by an
 * {@link AddressPolicy} and the socket goes to the checked address only (no DNS rebinding),
 * redirects are followed a few times and re-checked, the size is capped before and while
 * streaming, and a silent server times out. Customer mistakes (4xx, refused host, too large)
 * are InputError; network trouble is InputUnavailableError so the job is retried.
 */
export class HttpInputDownloader {
  private readonly maxRedirects: number;

  constructor(private readonly opts: HttpInputDownloaderOptions) {
    this.maxRedirects = opts.maxRedirects ?? 5;
  }

  /** Fetches `url` into `dest` (which must not exist) and returns the number of bytes written. */
  async download(url: URL, dest: string, signal?: AbortSignal): Promise<number> {
    let current = url;
    for (let redirects = 0; ; redirects++) {
      const res = await this.open(current, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.destroy();
        if (redirects >= this.maxRedirects)
          throw new InputError(
            'input_download_failed',
            `the input URL redirected more than ${this.maxRedirects} times`,
          );
        try {
          current = new URL(location, current);
        } catch {
          throw new InputError(
            'input_download_failed',
            `${current.host} answered HTTP ${status} with an invalid Location`,
          );
        }
        continue;
      }
      if (status >= 200 && status < 300) return this.save(res, current, dest, signal);
      res.destroy();
      const text = `${current.host} answered HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
      if (status >= 500 || RETRYABLE_STATUS.has(status))
        throw new InputUnavailableError('input_unavailable', `downloading the input failed: ${text}`);
      throw new InputError('input_download_failed', `downloading the input failed: ${text}`);
    }
  }

  /** One request, up to its response headers, within the time limit. */
  private async open(url: URL, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new InputError(
        'input_forbidden',
        `the input URL redirected to a ${url.protocol} URL; only http and https are followed`,
      );
    if (url.username || url.password)
      throw new InputError('input_forbidden', 'input URLs with credentials (user:password@) are not accepted');
    if (signal?.aborted) throw cancelled(signal);
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new InputUnavailableError(
            'input_timeout',
            `${url.host} did not answer within ${this.opts.timeoutMs / 1000} s`,
          ),
        ),
      this.opts.timeoutMs,
    );
    const stop = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
    const reason = (): unknown => (signal?.aborted ? cancelled(signal) : deadline.signal.reason);
    try {
      const addresses = await abortable(this.opts.policy.resolve(url.hostname), stop, reason);
      return await request(url, addresses, stop, reason);
    } catch (err) {
      throw explain(err, url);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Streams the body to disk, counting bytes; any failure leaves the partial file for the caller to remove. */
  private async save(res: IncomingMessage, url: URL, dest: string, signal: AbortSignal | undefined): Promise<number> {
    const max = this.opts.maxBytes;
    const tooLarge = () => new InputError('input_too_large', `the input is larger than the limit of ${max} bytes`);
    const declared = res.headers['content-length'];
    if (declared !== undefined && Number(declared) > max) {
      res.destroy();
      throw tooLarge();
    }
    if (signal?.aborted) {
      res.destroy();
      throw cancelled(signal);
    }
    const counter = new ByteCounter({ maxBytes: max, tooLarge });
    res.setTimeout(this.opts.timeoutMs, () =>
      res.destroy(
        new InputUnavailableError('input_timeout', `${url.host} sent nothing for ${this.opts.timeoutMs / 1000} s`),
      ),
    );
    const onAbort = () => res.destroy(cancelled(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await pipeline(res, counter, createWriteStream(dest, { flags: 'wx' }));
    } catch (err) {
      throw explain(err, url);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return counter.bytes;
  }
}

/** Sends a GET whose socket can only reach `addresses`, resolving with the response head. */
function request(
  url: URL,
  addresses: LookupAddress[],
  stop: AbortSignal,
  reason: () => unknown,
): Promise<IncomingMessage> {
  const lookup = pinnedLookup(addresses, url.hostname);
  const hostname = requestHostname(url);
  return new Promise((resolve, reject) => {
    if (stop.aborted) return reject(reason());
    const req = (url.protocol === 'https:' ? https : http).request({
      hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      // A fresh connection per download: a pooled socket could have been opened under other rules.
      agent: false,
      lookup,
      ...(url.protocol === 'https:' && !isIP(hostname) ? { servername: hostname } : {}),
      headers: { host: url.host, 'user-agent': 'kiln-worker', accept: '*/*', 'accept-encoding': 'identity' },
    });
    const onAbort = () => req.destroy(reason() as Error);
    stop.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      stop.removeEventListener('abort', onAbort);
      resolve(res);
    });
    // Kept for the request's lifetime: a late socket error must not become an unhandled 'error'.
    req.on('error', (err) => {
      stop.removeEventListener('abort', onAbort);
      reject(err);
    });
    req.end();
  });
}

/** `promise`, or the abort reason as soon as `stop` fires (DNS lookups cannot be cancelled). */
function abortable<T>(promise: Promise<T>, stop: AbortSignal, reason: () => unknown): Promise<T> {
  if (stop.aborted) return Promise.reject(reason());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    stop.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => stop.removeEventListener('abort', onAbort));
  });
}

function cancelled(signal: AbortSignal): InputCancelledError {
  const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new InputCancelledError(`fetching the input was stopped: ${why}`);
}

/** Our own errors pass through; anything else from the network becomes a retryable or a final error. */
function explain(err: unknown, url: URL): Error {
  if (err instanceof InputError || err instanceof InputUnavailableError || err instanceof InputCancelledError)
    return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && TLS_REJECTIONS.has(code))
    return new InputError('input_download_failed', `the TLS certificate of ${url.host} was rejected (${code})`);
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  return new InputUnavailableError('input_unreachable', `fetching the input from ${url.host} failed (${detail})`, {
    cause: err,
  });
}

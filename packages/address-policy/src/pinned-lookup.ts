import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';

/**
 * A `lookup` for `http.request` that answers only with `addresses`, the ones the policy checked:
 * Node asks it instead of DNS, so a name cannot resolve to something else between the check and
 * the connection (DNS rebinding). `host` names the target in the not-found error.
 */
export function pinnedLookup(addresses: LookupAddress[], host: string): LookupFunction {
  return ((_hostname, options, callback) => {
    const fit =
      options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (options.all) return callback(null, fit);
    const first = fit[0];
    if (first) return callback(null, first.address, first.family);
    const family = options.family === 4 || options.family === 6 ? `IPv${String(options.family)} ` : '';
    callback(Object.assign(new Error(`no ${family}address for ${host}`), { code: 'ENOTFOUND' }), '', 0);
  }) as LookupFunction;
}

/** A URL's host as `http.request` takes it: an IPv6 literal without its brackets. */
export function requestHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

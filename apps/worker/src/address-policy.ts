import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { AddressAllowlist, isHostName, normalizeHost, systemLookup, type LookupAll } from '@kiln/address-policy';
import { InputError, InputUnavailableError } from './input.errors.js';

/**
 * Decides which hosts an `http(s)://` input may be fetched from (SSRF protection): the host is
 * resolved once, every address is checked, and the caller connects to exactly those addresses,
 * so a second DNS answer (rebinding) cannot point the connection elsewhere. Operators and tests
 * permit specific private hosts with an allowlist of host names, IPs and CIDR ranges
 * (see {@link AddressAllowlist}, shared with the webhook sender).
 */
export class AddressPolicy {
  private readonly allowlist: AddressAllowlist;

  constructor(
    allow: readonly string[] = [],
    private readonly lookup: LookupAll = systemLookup,
  ) {
    this.allowlist = new AddressAllowlist(allow);
  }

  /**
   * The addresses to connect to for `host` (a URL's hostname), all checked. Throws InputError
   * `input_forbidden` if any of them is refused, so a mixed answer cannot slip a private address in.
   */
  async resolve(host: string): Promise<LookupAddress[]> {
    const name = normalizeHost(host);
    if (isIP(name)) {
      const why = this.allowlist.refusal(name, [name]);
      if (why) throw new InputError('input_forbidden', `inputs may not be fetched from ${name}: ${why}`);
      return [{ address: name, family: isIP(name) }];
    }
    if (!isHostName(name)) throw new InputError('invalid_input', 'the input URL has an invalid host name');
    let addresses: LookupAddress[];
    try {
      addresses = await this.lookup(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA')
        throw new InputError('input_download_failed', `the input host ${name} does not resolve`);
      throw new InputUnavailableError(
        'input_unreachable',
        `could not resolve the input host ${name} (${code ?? 'dns error'})`,
        { cause: err },
      );
    }
    if (addresses.length === 0)
      throw new InputError('input_download_failed', `the input host ${name} does not resolve`);
    const why = this.allowlist.refusal(
      name,
      addresses.map((a) => a.address),
    );
    if (why) throw new InputError('input_forbidden', `inputs may not be fetched from ${name}: ${why}`);
    return addresses;
  }
}

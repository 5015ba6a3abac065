import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** Resolves a host name to every address it has (dns.lookup with `all: true`). */
export type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver, every address in the order it answered. */
export const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** An allowlist entry: a host name, or an address range (a single IP is a /32 or /128). */
type AllowEntry = { kind: 'host'; name: string } | { kind: 'range'; range: [Ip, number] };

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function parseAllowEntry(entry: string): AllowEntry | null {
  const e = entry.trim().toLowerCase();
  if (ipaddr.isValidCIDR(e)) return { kind: 'range', range: ipaddr.parseCIDR(e) };
  if (isIP(e)) {
    const ip = ipaddr.parse(e);
    return { kind: 'range', range: [ip, ip.kind() === 'ipv4' ? 32 : 128] };
  }
  const name = normalizeHost(e);
  // An all-digit last label is a mistyped IP (10.0.0.300), not a host name.
  return HOST_NAME.test(name) && !/(^|\.)\d+$/.test(name) ? { kind: 'host', name } : null;
}

/** Whether `entry` is a valid allowlist entry (host name, IP address or CIDR range). */
export function isValidAllowEntry(entry: string): boolean {
  return parseAllowEntry(entry) !== null;
}

/** Whether `name` (normalized, see {@link normalizeHost}) is a well-formed DNS host name. */
export function isHostName(name: string): boolean {
  return HOST_NAME.test(name);
}

/** Lower case, no IPv6 brackets, no trailing dot: the form host names are compared in. */
export function normalizeHost(host: string): string {
  const h = host.toLowerCase();
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/** An IPv4 address hidden in an IPv6 one (`::ffff:a.b.c.d`, `::ffff:0:a.b.c.d`), as IPv4. */
function unwrap(ip: Ip): Ip {
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const range = v6.range();
    if (range === 'ipv4Mapped' || range === 'rfc6145') return ipaddr.IPv4.parse(v6.toIPv4Address().toString());
  }
  return ip;
}

/**
 * Why a connection to `address` is refused, or null for a public unicast address. Everything
 * ipaddr.js does not call `unicast` is refused: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), unique-local, CGNAT, multicast, broadcast, unspecified, reserved, and IPv6
 * transition prefixes (NAT64, 6to4, Teredo) that could tunnel to any of those.
 */
export function addressRefusal(address: string): string | null {
  if (!isIP(address)) return 'not an IP address';
  const ip = unwrap(ipaddr.parse(address));
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    // Deprecated IPv4-compatible form (::a.b.c.d): ipaddr.js calls it unicast, but it names an IPv4 host.
    return 'an IPv4-compatible IPv6 address';
  }
  const range = ip.range();
  return range === 'unicast' ? null : `a ${range} address`;
}

/**
 * The operator's exceptions to the address policy (KILN_INPUT_ALLOW_HOSTS, KILN_WEBHOOK_ALLOW_HOSTS):
 * host names, IPs and CIDR ranges that may be contacted although they are private. It decides, for
 * a host and the addresses it resolved to, why a connection is refused (or that it is not), so
 * the fetcher of inputs and the sender of webhooks apply one rule (SSRF protection).
 */
export class AddressAllowlist {
  private readonly hosts = new Set<string>();
  private readonly ranges: Array<[Ip, number]> = [];

  /** Throws a RangeError naming the first malformed entry. */
  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const parsed = parseAllowEntry(entry);
      if (!parsed)
        throw new RangeError(
          `invalid allowlist entry ${JSON.stringify(entry)}: use a host name, an IP address or a CIDR range`,
        );
      if (parsed.kind === 'host') this.hosts.add(parsed.name);
      else this.ranges.push(parsed.range);
    }
  }

  /** Whether the allowlist names this host (normalized). */
  coversHost(name: string): boolean {
    return this.hosts.has(name);
  }

  /** Whether the allowlist covers this address (IPv4-mapped IPv6 matches its IPv4 form). */
  coversAddress(address: string): boolean {
    const ip = unwrap(ipaddr.parse(address));
    return this.ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
  }

  /**
   * Why connecting to `host` (normalized) at `addresses` is refused, or null when it may be: an
   * allowlisted name may resolve anywhere; otherwise every address must be public or allowlisted,
   * so a mixed DNS answer cannot slip a private address in. The reason reads
   * `it is a loopback address` (host is an IP) or `it resolves to a private address`.
   */
  refusal(host: string, addresses: readonly string[]): string | null {
    if (this.coversHost(host)) return null;
    for (const address of addresses) {
      if (this.coversAddress(address)) continue;
      const why = addressRefusal(address);
      if (why) return isIP(host) ? `it is ${why}` : `it resolves to ${why}`;
    }
    return null;
  }
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressRefusal, isValidAllowEntry } from './address-allowlist.js';

const REFUSED = [
  '127.0.0.1',
  '127.8.9.10',
  '10.0.0.1',
  '172.16.0.1',
  '172.31.255.254',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '100.127.255.254',
  '0.0.0.0',
  '255.255.255.255',
  '224.0.0.1',
  '240.0.0.1',
  '::1',
  '::',
  'fe80::1',
  'fc00::1',
  'fd12:3456::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::7f00:1',
  '2002:7f00:1::1',
];
const ALLOWED = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];

describe('addressRefusal', () => {
  it.each(REFUSED)('refuses %s', (address) => {
    expect(addressRefusal(address)).not.toBeNull();
  });

  it.each(ALLOWED)('allows public unicast %s', (address) => {
    expect(addressRefusal(address)).toBeNull();
  });

  it('gives an IPv4 address and its IPv4-mapped IPv6 form the same verdict', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(addressRefusal(`::ffff:${v4}`) === null).toBe(addressRefusal(v4) === null);
      }),
    );
  });

  it('refuses every address of the private, loopback, link-local and CGNAT ranges', () => {
    const inRange = (prefix: number[], bits: number) =>
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => {
        const n = (octets.reduce((a, o) => a * 256 + o, 0) >>> 0) % 2 ** (32 - bits);
        const base = prefix.reduce((a, o) => a * 256 + o, 0) * 2 ** (32 - prefix.length * 8);
        const v = base + n;
        return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
      });
    const arb = fc.oneof(
      inRange([10], 8),
      inRange([172, 16], 12),
      inRange([192, 168], 16),
      inRange([127], 8),
      inRange([169, 254], 16),
      inRange([100, 64], 10),
    );
    fc.assert(fc.property(arb, (address) => addressRefusal(address) !== null));
  });
});

describe('isValidAllowEntry', () => {
  it.each(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'media.internal', 'localhost', 'cdn.example.com'])(
    'accepts %s',
    (entry) => {
      expect(isValidAllowEntry(entry)).toBe(true);
    },
  );

  it.each(['', 'http://x', '10.0.0.0/40', '10.0.0.300', 'a b', 'host:80', '*.example.com'])('refuses %j', (entry) => {
    expect(isValidAllowEntry(entry)).toBe(false);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressRefusal, AddressPolicy, isValidAllowEntry } from './address-policy.js';
import { InputError } from './input.errors.js';

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

describe('AddressPolicy', () => {
  it('refuses a private IP literal, naming why, without any DNS lookup', async () => {
    const lookups: string[] = [];
    const policy = new AddressPolicy([], async (h) => {
      lookups.push(h);
      return [];
    });
    await expect(policy.resolve('169.254.169.254')).rejects.toMatchObject({
      name: 'InputError',
      code: 'input_forbidden',
      message: expect.stringContaining('linkLocal'),
    });
    await expect(policy.resolve('[::1]')).rejects.toBeInstanceOf(InputError);
    expect(lookups).toEqual([]);
  });

  it('refuses a host name when any of its addresses is private', async () => {
    const policy = new AddressPolicy([], async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ]);
    await expect(policy.resolve('mixed.example')).rejects.toMatchObject({ code: 'input_forbidden' });
  });

  it('refuses localhost through the real resolver', async () => {
    await expect(new AddressPolicy().resolve('localhost')).rejects.toMatchObject({
      code: 'input_forbidden',
      message: expect.stringContaining('loopback'),
    });
  });

  it('returns the checked addresses of a public host', async () => {
    const policy = new AddressPolicy([], async () => [{ address: '2606:4700:4700::1111', family: 6 }]);
    await expect(policy.resolve('Public.Example.')).resolves.toEqual([{ address: '2606:4700:4700::1111', family: 6 }]);
  });

  it('permits allowlisted IPs and CIDR ranges, and nothing next to them', async () => {
    const policy = new AddressPolicy(['127.0.0.1', '10.1.0.0/16', 'fd00::/8']);
    await expect(policy.resolve('127.0.0.1')).resolves.toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(policy.resolve('10.1.200.3')).resolves.toHaveLength(1);
    await expect(policy.resolve('[fd00::5]')).resolves.toHaveLength(1);
    await expect(policy.resolve('10.2.0.1')).rejects.toMatchObject({ code: 'input_forbidden' });
    await expect(policy.resolve('127.0.0.2')).rejects.toMatchObject({ code: 'input_forbidden' });
    await expect(policy.resolve('169.254.169.254')).rejects.toMatchObject({ code: 'input_forbidden' });
  });

  it('matches an IPv4-mapped answer against an IPv4 allowlist entry', async () => {
    const policy = new AddressPolicy(['10.9.0.0/16'], async () => [{ address: '::ffff:10.9.1.1', family: 6 }]);
    await expect(policy.resolve('media.internal')).resolves.toHaveLength(1);
  });

  it('permits an allowlisted host name whatever it resolves to, and only that name', async () => {
    const policy = new AddressPolicy(['media.internal'], async () => [{ address: '10.0.0.7', family: 4 }]);
    await expect(policy.resolve('MEDIA.internal')).resolves.toEqual([{ address: '10.0.0.7', family: 4 }]);
    await expect(policy.resolve('other.internal')).rejects.toMatchObject({ code: 'input_forbidden' });
  });

  it('makes an unknown host final and a DNS outage retryable', async () => {
    const failing = (code: string) =>
      new AddressPolicy([], async () => Promise.reject(Object.assign(new Error(code), { code })));
    await expect(failing('ENOTFOUND').resolve('nope.example')).rejects.toBeInstanceOf(InputError);
    const outage = failing('EAI_AGAIN').resolve('flaky.example');
    await expect(outage).rejects.toMatchObject({ name: 'InputUnavailableError', code: 'input_unreachable' });
    await expect(outage).rejects.not.toBeInstanceOf(InputError);
  });

  it('rejects a malformed allowlist at construction', () => {
    expect(() => new AddressPolicy(['10.0.0.0/33'])).toThrow(RangeError);
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

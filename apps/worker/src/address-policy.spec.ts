import { describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.js';
import { InputError } from './input.errors.js';

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

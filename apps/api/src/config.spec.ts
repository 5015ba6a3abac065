import { loadConfig } from '@kiln/config';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from './config.js';

const base = { KILN_API_KEYS: 'acme:0123456789abcdef', PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's' };

describe('apiConfigSchema', () => {
  it('defaults the rate limit, upload limit and leaves the admin board off', () => {
    const c = loadConfig(apiConfigSchema, base);
    expect(c).toMatchObject({ KILN_RATE_LIMIT_PER_MIN: 600, KILN_MAX_UPLOAD_BYTES: 2147483648 });
    expect(c.KILN_ADMIN_USER).toBeUndefined();
    expect(
      loadConfig(apiConfigSchema, { ...base, KILN_RATE_LIMIT_PER_MIN: '0', KILN_MAX_UPLOAD_BYTES: '1048576' }),
    ).toMatchObject({ KILN_RATE_LIMIT_PER_MIN: 0, KILN_MAX_UPLOAD_BYTES: 1048576 });
  });

  it('names bad values and an admin user without a password', () => {
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_RATE_LIMIT_PER_MIN: '-1' })).toThrow(
      /KILN_RATE_LIMIT_PER_MIN/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_MAX_UPLOAD_BYTES: 'lots' })).toThrow(
      /KILN_MAX_UPLOAD_BYTES/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops' })).toThrow(
      /KILN_ADMIN_PASSWORD: set both/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_PASSWORD: 'long-enough' })).toThrow(
      /KILN_ADMIN_USER: set both/,
    );
    expect(() =>
      loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'short' }),
    ).toThrow(/KILN_ADMIN_PASSWORD: must be at least 8/);
    expect(
      loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'long-enough' }),
    ).toMatchObject({ KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'long-enough' });
  });

  it('takes a signing secret of 32 characters or more and a public URL without its trailing slash', () => {
    const c = loadConfig(apiConfigSchema, {
      ...base,
      KILN_SIGNING_SECRET: 's'.repeat(32),
      KILN_PUBLIC_URL: 'https://media.example.com/',
    });
    expect(c).toMatchObject({ KILN_SIGNING_SECRET: 's'.repeat(32), KILN_PUBLIC_URL: 'https://media.example.com' });
    expect(loadConfig(apiConfigSchema, base).KILN_SIGNING_SECRET).toBeUndefined();
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_SIGNING_SECRET: 'short' })).toThrow(
      /KILN_SIGNING_SECRET: must be at least 32/,
    );
    for (const url of ['ftp://media.example.com', 'media.example.com', 'https://x.example/?a=1'])
      expect(() => loadConfig(apiConfigSchema, { ...base, KILN_PUBLIC_URL: url }), url).toThrow(/KILN_PUBLIC_URL/);
  });

  it('reads per-customer KILN_INPUT_ROOTS and refuses roots for customers without a key', () => {
    const c = loadConfig(apiConfigSchema, { ...base, KILN_INPUT_ROOTS: '/srv/shared,acme=/srv/acme' });
    expect(c.KILN_INPUT_ROOTS.rootsFor('acme')).toEqual(['/srv/acme', '/srv/shared']);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_INPUT_ROOTS: 'acme=/srv/acme,acmee=/srv/typo' })).toThrow(
      /KILN_INPUT_ROOTS: names customers without a key in KILN_API_KEYS: acmee/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_INPUT_ROOTS: 'acme=relative' })).toThrow(
      /KILN_INPUT_ROOTS: .*absolute path/,
    );
    expect(() =>
      loadConfig(apiConfigSchema, {
        PUSHER_APP_ID: '1',
        PUSHER_KEY: 'k',
        PUSHER_SECRET: 's',
        KILN_INPUT_ROOTS: 'acme=/srv/acme',
      }),
    ).toThrow(/KILN_API_KEYS/);
  });

  it('keeps finished jobs for ever by default and takes KILN_JOB_TTL_DAYS in whole days', () => {
    expect(loadConfig(apiConfigSchema, base).KILN_JOB_TTL_DAYS).toBe(0);
    expect(loadConfig(apiConfigSchema, { ...base, KILN_JOB_TTL_DAYS: '30' }).KILN_JOB_TTL_DAYS).toBe(30);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_JOB_TTL_DAYS: '-1' })).toThrow(
      /KILN_JOB_TTL_DAYS: must be 0 \(keep for ever\) or more/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_JOB_TTL_DAYS: '1.5' })).toThrow(
      /KILN_JOB_TTL_DAYS: must be a whole number/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_JOB_TTL_DAYS: 'month' })).toThrow(
      /KILN_JOB_TTL_DAYS: must be a number of days/,
    );
  });
});

import { loadConfig } from '@kiln/config';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from './config.js';

const base = { KILN_API_KEYS: 'acme:0123456789abcdef', PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's' };

describe('apiConfigSchema', () => {
  it('defaults the rate limit, upload limit and leaves the admin board off', () => {
    const c = loadConfig(apiConfigSchema, base);
    expect(c).toMatchObject({ KILN_RATE_LIMIT_PER_MIN: 600, KILN_MAX_UPLOAD_BYTES: 2147483648 });
    expect(c.KILN_ADMIN_USER).toBeUndefined();
    expect(loadConfig(apiConfigSchema, { ...base, KILN_RATE_LIMIT_PER_MIN: '0', KILN_MAX_UPLOAD_BYTES: '1048576' })).toMatchObject({ KILN_RATE_LIMIT_PER_MIN: 0, KILN_MAX_UPLOAD_BYTES: 1048576 });
  });

  it('names bad values and an admin user without a password', () => {
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_RATE_LIMIT_PER_MIN: '-1' })).toThrow(/KILN_RATE_LIMIT_PER_MIN/);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_MAX_UPLOAD_BYTES: 'lots' })).toThrow(/KILN_MAX_UPLOAD_BYTES/);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops' })).toThrow(/KILN_ADMIN_PASSWORD: set both/);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_PASSWORD: 'long-enough' })).toThrow(/KILN_ADMIN_USER: set both/);
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'short' })).toThrow(/KILN_ADMIN_PASSWORD: must be at least 8/);
    expect(loadConfig(apiConfigSchema, { ...base, KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'long-enough' })).toMatchObject({ KILN_ADMIN_USER: 'ops', KILN_ADMIN_PASSWORD: 'long-enough' });
  });
});

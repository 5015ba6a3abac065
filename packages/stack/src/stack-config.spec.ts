import { describe, expect, it } from 'vitest';
import { StackStartError } from './stack.errors.js';
import { loadStackConfig, wantsEmbeddedPusher } from './stack-config.js';

describe('loadStackConfig', () => {
  it('fills in the embedded defaults when nothing is set, blanks counting as unset', () => {
    const config = loadStackConfig({ REDIS_URL: '  ', KILN_API_KEYS: '' });
    expect(config).toMatchObject({
      KILN_API_PORT: 3000,
      KILN_WEBHOOKS_PORT: 3001,
      KILN_DASHBOARD_PORT: 3002,
      KILN_WORKERS: 1,
      KILN_EMBEDDED_REDIS_PORT: 6379,
      KILN_EMBEDDED_SOKETI_PORT: 6001,
      KILN_EMBEDDED_SOKETI_METRICS_PORT: 9601,
    });
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.KILN_API_KEYS).toBeUndefined();
    expect(wantsEmbeddedPusher(config)).toBe(true);
  });

  it('names every bad variable in a StackStartError', () => {
    const attempt = () => loadStackConfig({ KILN_DASHBOARD_PORT: 'http', KILN_WORKERS: '65' });
    expect(attempt).toThrow(StackStartError);
    expect(attempt).toThrow(/KILN_DASHBOARD_PORT: must be a port number[\s\S]*KILN_WORKERS: must be at most 64/);
  });

  it('refuses equal app ports and a half-configured Pusher app, naming what is missing', () => {
    expect(() => loadStackConfig({ KILN_API_PORT: '4000', KILN_DASHBOARD_PORT: '4000' })).toThrow(
      'KILN_API_PORT, KILN_WEBHOOKS_PORT and KILN_DASHBOARD_PORT: must differ (got 4000, 3001, 4000)',
    );
    expect(() => loadStackConfig({ PUSHER_KEY: 'k' })).toThrow(/^PUSHER_APP_ID, PUSHER_SECRET: must be set too/);
  });

  it('refuses cluster mode without REDIS_URL, and takes it with the seed nodes', () => {
    expect(() => loadStackConfig({ KILN_REDIS_CLUSTER: 'true' })).toThrow(/KILN_REDIS_CLUSTER: needs REDIS_URL/);
    const seeds = 'redis://10.0.0.1:7000,redis://10.0.0.2:7000';
    expect(loadStackConfig({ KILN_REDIS_CLUSTER: 'true', REDIS_URL: seeds })).toMatchObject({ REDIS_URL: seeds });
  });

  it('uses the configured Pusher app when all three are set', () => {
    const config = loadStackConfig({ PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's' });
    expect(wantsEmbeddedPusher(config)).toBe(false);
  });
});

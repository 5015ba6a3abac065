import { loadConfig } from '@kiln/config';
import { describe, expect, it } from 'vitest';
import { apiConfigSchema } from './config.js';
import { createHttpServer } from './http-server.js';

const base = { KILN_API_KEYS: 'acme:0123456789abcdef', PUSHER_APP_ID: '1', PUSHER_KEY: 'k', PUSHER_SECRET: 's' };

describe('createHttpServer', () => {
  it('puts no limit on a request total time (Node would cut a long upload at 300 s) and bounds silence and headers instead', () => {
    const server = createHttpServer(() => undefined, { idleTimeoutS: 7, headersTimeoutS: 3 });
    expect(server.requestTimeout).toBe(0);
    expect(server.headersTimeout).toBe(3000);
    expect(server.timeout).toBe(7000);
    expect(server.keepAliveTimeout).toBe(65_000);
  });

  it('reads its timeouts from KILN_HTTP_IDLE_TIMEOUT_S and KILN_HTTP_HEADERS_TIMEOUT_S', () => {
    expect(loadConfig(apiConfigSchema, base)).toMatchObject({
      KILN_HTTP_IDLE_TIMEOUT_S: 120,
      KILN_HTTP_HEADERS_TIMEOUT_S: 30,
    });
    expect(
      loadConfig(apiConfigSchema, { ...base, KILN_HTTP_IDLE_TIMEOUT_S: '5', KILN_HTTP_HEADERS_TIMEOUT_S: '2' }),
    ).toMatchObject({ KILN_HTTP_IDLE_TIMEOUT_S: 5, KILN_HTTP_HEADERS_TIMEOUT_S: 2 });
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_HTTP_IDLE_TIMEOUT_S: '0' })).toThrow(
      /KILN_HTTP_IDLE_TIMEOUT_S/,
    );
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_HTTP_HEADERS_TIMEOUT_S: 'soon' })).toThrow(
      /KILN_HTTP_HEADERS_TIMEOUT_S/,
    );
  });

  it('reads how long a Redis command may take from KILN_REDIS_COMMAND_TIMEOUT_MS', () => {
    expect(loadConfig(apiConfigSchema, base)).toMatchObject({ KILN_REDIS_COMMAND_TIMEOUT_MS: 1000 });
    expect(loadConfig(apiConfigSchema, { ...base, KILN_REDIS_COMMAND_TIMEOUT_MS: '250' })).toMatchObject({
      KILN_REDIS_COMMAND_TIMEOUT_MS: 250,
    });
    expect(() => loadConfig(apiConfigSchema, { ...base, KILN_REDIS_COMMAND_TIMEOUT_MS: '10' })).toThrow(
      /KILN_REDIS_COMMAND_TIMEOUT_MS: must be at least 50/,
    );
  });
});

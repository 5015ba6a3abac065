import { randomUUID } from 'node:crypto';
import { loadConfig } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { useRedis, UNREACHABLE_PUSHER_ENV, listenOnLoopback } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { buildWebhooks } from './build-webhooks.js';
import { webhooksConfigSchema } from './config.js';

const db = useRedis();

describe('buildWebhooks', () => {
  it('builds the app main.ts listens on: health, readiness naming Redis, metrics, the one 404 body; stop() is idempotent', async () => {
    const config = loadConfig(webhooksConfigSchema, {
      REDIS_URL: db.url,
      KILN_REDIS_PREFIX: `test-${randomUUID()}`,
      ...UNREACHABLE_PUSHER_ENV,
    });
    const built = buildWebhooks(config, createLogger({ name: 'webhooks', level: 'silent' }));
    await built.start();
    const base = await listenOnLoopback(built.server);
    try {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = (await (await fetch(`${base}/readyz`)).json()) as { checks: Record<string, boolean> };
      expect(ready.checks.redis).toBe(true);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('kiln_occupancy_events_total');
      const missing = await fetch(`${base}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
    } finally {
      const stopping = built.stop();
      expect(built.stop()).toBe(stopping);
      await stopping;
    }
    expect(built.server.listening).toBe(false);
  });
});

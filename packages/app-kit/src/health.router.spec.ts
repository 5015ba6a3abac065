import express from 'express';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { healthRouter } from './health.router.js';

const appWith = (deps: Parameters<typeof healthRouter>[0]) => express().use(healthRouter(deps));

describe('healthRouter', () => {
  it('answers /healthz ok while healthy and 503 stopping once not, never cached', async () => {
    let healthy = true;
    const app = appWith({ healthy: () => healthy });
    const ok = await request(app).get('/healthz');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok' });
    expect(ok.headers['cache-control']).toBe('no-store');
    healthy = false;
    const stopping = await request(app).get('/healthz');
    expect(stopping.status).toBe(503);
    expect(stopping.body).toEqual({ status: 'stopping' });
  });

  it('answers /readyz 200 when every check passes, 503 with the checks when one fails or the check throws', async () => {
    let checks: () => Promise<Record<string, boolean>> = async () => ({ redis: true, pusher: true });
    const app = appWith({ ready: () => checks() });
    expect((await request(app).get('/readyz')).body).toEqual({
      status: 'ready',
      checks: { redis: true, pusher: true },
    });
    checks = async () => ({ redis: false, pusher: true });
    const down = await request(app).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'not_ready', checks: { redis: false, pusher: true } });
    checks = async () => {
      throw new Error('redis gone');
    };
    const threw = await request(app).get('/readyz');
    expect(threw.status).toBe(503);
    expect(threw.body).toEqual({ status: 'not_ready' });
  });

  it('serves the registry on /metrics, and neither /readyz nor /metrics when not given', async () => {
    const registry = new Registry();
    new Counter({ name: 'kiln_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const metrics = await request(appWith({ registry })).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('kiln_test_total 3');
    const bare = appWith({});
    expect((await request(bare).get('/readyz')).status).toBe(404);
    expect((await request(bare).get('/metrics')).status).toBe(404);
  });
});

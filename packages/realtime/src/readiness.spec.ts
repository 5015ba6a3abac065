import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('reports each dependency and caches the Pusher answer', async () => {
    let t = 0;
    let calls = 0;
    let pusherUp = true;
    let redisUp = true;
    const r = new Readiness({
      redis: [{ ping: async () => (redisUp ? 'PONG' : Promise.reject(new Error('down'))) }],
      pusher: {
        occupiedChannels: async () => {
          calls++;
          if (!pusherUp) throw new Error('down');
          return [];
        },
      },
      cacheMs: 1000,
      now: () => t,
    });
    expect(await r.check()).toEqual({ redis: true, pusher: true });
    pusherUp = false;
    redisUp = false;
    expect(await r.check()).toEqual({ redis: false, pusher: true });
    expect(calls).toBe(1);
    t = 2000;
    expect(await r.check()).toEqual({ redis: false, pusher: false });
    expect(calls).toBe(2);
  });

  it('counts a dependency that does not answer within the timeout as down, without waiting for it', async () => {
    const hung = () => new Promise<never>(() => undefined);
    const r = new Readiness({
      redis: [{ ping: hung }],
      pusher: { occupiedChannels: hung },
      cacheMs: 1000,
      timeoutMs: 200,
    });
    const t0 = performance.now();
    expect(await r.check()).toEqual({ redis: false, pusher: false });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('counts Redis as down while any one of its connections does not answer (one still reconnecting after an outage)', async () => {
    let secondUp = false;
    const r = new Readiness({
      redis: [
        { ping: async () => 'PONG' },
        { ping: async () => (secondUp ? 'PONG' : Promise.reject(new Error('Connection is closed.'))) },
      ],
      pusher: { occupiedChannels: async () => [] },
    });
    expect(await r.check()).toEqual({ redis: false, pusher: true });
    secondUp = true;
    expect(await r.check()).toEqual({ redis: true, pusher: true });
  });
});

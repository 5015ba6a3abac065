import { isPortFree, waitForHttp } from '@kiln/stack';
import { describe, expect, it } from 'vitest';
import { startSoketi } from './start-soketi.js';

describe('startSoketi', () => {
  it('starts soketi on free ports and gives the PUSHER_* env to publish to it', async () => {
    const soketi = await startSoketi();
    try {
      await waitForHttp(`http://127.0.0.1:${soketi.port}/ready`, { expectBody: 'OK', timeoutMs: 2000 });
      expect(await isPortFree(soketi.metricsPort)).toBe(false);
      expect(soketi.pusherEnv()).toEqual({
        PUSHER_APP_ID: soketi.appId,
        PUSHER_KEY: soketi.key,
        PUSHER_SECRET: soketi.secret,
        PUSHER_HOST: '127.0.0.1',
        PUSHER_PORT: String(soketi.port),
        PUSHER_USE_TLS: 'false',
        PUSHER_CLUSTER: 'mt1',
      });
    } finally {
      await soketi.stop();
    }
    expect(await isPortFree(soketi.port)).toBe(true);
    expect(await isPortFree(soketi.metricsPort)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { getFreePort } from './ports.js';
import { providePusher } from './pusher-provider.js';
import { loadStackConfig } from './stack-config.js';

describe('providePusher', () => {
  it('describes a configured Pusher app and passes its variables on untouched', async () => {
    const hosted = await providePusher(
      loadStackConfig({ PUSHER_APP_ID: '42', PUSHER_KEY: 'key', PUSHER_SECRET: 's', PUSHER_CLUSTER: 'eu' }),
      { webhooksPort: 3001, startTimeoutMs: 1000 },
    );
    expect(hosted).toEqual({
      env: {},
      info: { embedded: false, description: 'hosted Pusher, cluster eu (app 42)', appId: '42', key: 'key' },
      soketi: undefined,
    });
    const own = await providePusher(
      loadStackConfig({
        PUSHER_APP_ID: '1',
        PUSHER_KEY: 'k',
        PUSHER_SECRET: 's',
        PUSHER_HOST: 'ws.internal',
        PUSHER_PORT: '6001',
      }),
      { webhooksPort: 3001, startTimeoutMs: 1000 },
    );
    expect(own.info.description).toBe('ws.internal:6001 (app 1)');
  });

  it('starts soketi on the embedded ports with generated credentials and hands them to the apps', async () => {
    const env = {
      KILN_EMBEDDED_SOKETI_PORT: String(await getFreePort()),
      KILN_EMBEDDED_SOKETI_METRICS_PORT: String(await getFreePort()),
    };
    const pusher = await providePusher(loadStackConfig(env), { webhooksPort: 3001, startTimeoutMs: 20_000 });
    try {
      expect(pusher.info.embedded).toBe(true);
      expect(pusher.env).toMatchObject({
        PUSHER_APP_ID: pusher.info.appId,
        PUSHER_KEY: pusher.info.key,
        PUSHER_HOST: '127.0.0.1',
        PUSHER_PORT: env.KILN_EMBEDDED_SOKETI_PORT,
        PUSHER_USE_TLS: 'false',
      });
      const ready = await fetch(`http://127.0.0.1:${env.KILN_EMBEDDED_SOKETI_PORT}/ready`);
      expect(await ready.text()).toBe('OK');
    } finally {
      await pusher.soketi?.stop();
    }
  });
});

import { createHmac } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PortTakenError } from './stack.errors.js';
import { getFreePort, isPortFree } from './ports.js';
import { spawnSoketi, type SoketiHandle } from './soketi.js';
import { waitForHttp } from './wait-for.js';

const handles: SoketiHandle[] = [];

/** A GET to the Pusher HTTP API signed as Pusher's protocol says (HMAC-SHA256 of method, path and sorted query). */
async function signedGet(soketi: SoketiHandle, pathname: string, secret: string): Promise<unknown> {
  const query = `auth_key=${soketi.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0`;
  const signature = createHmac('sha256', secret).update(`GET\n${pathname}\n${query}`).digest('hex');
  const res = await fetch(`http://127.0.0.1:${soketi.port}${pathname}?${query}&auth_signature=${signature}`);
  return res.json();
}
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
});

describe('spawnSoketi', () => {
  it('starts soketi on free ports with the given app, ready and serving its HTTP API', async () => {
    const soketi = await spawnSoketi({ appId: '4242', key: 'spec-key', secret: 'spec-secret' });
    handles.push(soketi);
    expect(soketi.pid).toBe(soketi.child.pid);
    expect(soketi.port).not.toBe(soketi.metricsPort);
    await waitForHttp(`http://127.0.0.1:${soketi.port}/ready`, { expectBody: 'OK', timeoutMs: 2000 });
    // A request signed with our secret is served, one signed with another secret is refused.
    expect(await signedGet(soketi, '/apps/4242/channels', 'spec-secret')).toEqual({ channels: {} });
    expect(await signedGet(soketi, '/apps/4242/channels', 'wrong-secret')).toMatchObject({ code: 401 });
    expect(await isPortFree(soketi.metricsPort)).toBe(false);
    await soketi.stop();
    expect(await isPortFree(soketi.port)).toBe(true);
    expect(soketi.child.alive).toBe(false);
  });

  it('generates credentials when none are given', async () => {
    const soketi = await spawnSoketi();
    handles.push(soketi);
    expect(soketi.appId).toMatch(/^\d+$/);
    expect(soketi.key).toMatch(/^[0-9a-f]{20}$/);
    expect(soketi.secret).toMatch(/^[0-9a-f]{40}$/);
  });

  it('fails with a clear error naming the port when it is taken, instead of pretending to start', async () => {
    const blocker = net.createServer();
    const port = await getFreePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const attempt = spawnSoketi({ port });
      await expect(attempt).rejects.toBeInstanceOf(PortTakenError);
      await expect(attempt).rejects.toThrow(`port ${port} (soketi) on 127.0.0.1 is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

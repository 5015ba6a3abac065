import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { canConnect, getFreePort, isPortFree } from './ports.js';
import { waitForHttp, waitForTcp } from './wait-for.js';

const servers: net.Server[] = [];
const listen = async (server: net.Server, port = 0) => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('ports', () => {
  it('getFreePort returns a port we can listen on', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await isPortFree(port)).toBe(true);
    expect(await listen(net.createServer(), port)).toBe(port);
  });

  it('isPortFree and canConnect see a listening server', async () => {
    const port = await listen(net.createServer());
    expect(await isPortFree(port)).toBe(false);
    expect(await canConnect(port)).toBe(true);
    await new Promise((r) => servers.pop()!.close(r));
    expect(await isPortFree(port)).toBe(true);
    expect(await canConnect(port)).toBe(false);
  });
});

describe('waitForTcp', () => {
  it('resolves once a server starts listening later', async () => {
    const port = await getFreePort();
    setTimeout(() => void listen(net.createServer(), port), 200);
    const started = Date.now();
    await waitForTcp(port, '127.0.0.1', { timeoutMs: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('times out naming the address', async () => {
    const port = await getFreePort();
    await expect(waitForTcp(port, '127.0.0.1', { timeoutMs: 200 })).rejects.toThrow(`127.0.0.1:${port}`);
  });
});

describe('waitForHttp', () => {
  it('waits until the body contains expectBody', async () => {
    let calls = 0;
    const port = await listen(http.createServer((_req, res) => res.end(++calls < 3 ? 'LOADING' : 'OK')));
    await waitForHttp(`http://127.0.0.1:${port}/ready`, { expectBody: 'OK', timeoutMs: 5000, intervalMs: 10 });
    expect(calls).toBe(3);
  });

  it('fails with the last answer when the URL never becomes ready', async () => {
    const port = await listen(http.createServer((_req, res) => res.writeHead(503).end('starting')));
    await expect(waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 300 })).rejects.toThrow(
      /HTTP 503 starting/,
    );
  });

  it('fails at once when isAlive says the process is gone', async () => {
    const port = await getFreePort();
    const started = Date.now();
    await expect(
      waitForHttp(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 10_000, isAlive: () => false }),
    ).rejects.toThrow(/exited/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

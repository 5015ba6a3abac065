import net from 'node:net';

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on `port` (checked by trying to listen on it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections on host:port. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `url` until it answers 2xx (and, if given, its body contains `expectBody`). */
export async function waitForHttp(url: string, opts: { timeoutMs?: number; intervalMs?: number; expectBody?: string; isAlive?: () => boolean } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = '';
  while (Date.now() < deadline) {
    if (opts.isAlive && !opts.isAlive()) throw new Error(`gave up waiting for ${url}: the process exited`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.ok && (!opts.expectBody || body.includes(opts.expectBody))) return;
      last = `HTTP ${res.status} ${body.slice(0, 100)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw new Error(`timed out waiting for ${url} (last: ${last})`);
}

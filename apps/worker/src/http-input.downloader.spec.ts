import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AddressPolicy } from './address-policy.js';
import { HttpInputDownloader } from './http-input.downloader.js';
import {
  InputCancelledError,
  InputError,
  InputResolver,
  InputUnavailableError,
  type ResolveContext,
} from './input-resolver.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

const body = randomBytes(4096);
const routes: Record<string, Route> = {
  '/clip.mp4': (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
    res.end(body);
  },
  '/empty': (_req, res) => res.writeHead(200, { 'content-length': 0 }).end(),
  '/missing': (_req, res) => res.writeHead(404).end('no such file'),
  '/busy': (_req, res) => res.writeHead(503).end('try later'),
  '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
  '/to-file': (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
  '/declared-too-large': (_req, res) => {
    res.writeHead(200, { 'content-length': 5000 });
    res.end(Buffer.alloc(5000));
  },
  '/chunked-too-large': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = () => res.write(Buffer.alloc(1500));
    chunk();
    setTimeout(chunk, 10);
    setTimeout(chunk, 20);
    setTimeout(chunk, 30);
    setTimeout(() => res.end(), 40);
  },
  '/stall-body': (_req, res) => {
    res.writeHead(200, { 'content-length': 4000 });
    res.write(Buffer.alloc(100));
  },
  '/stall-headers': () => undefined,
  '/host': (req, res) => res.writeHead(200).end(req.headers.host),
};

let server: Server;
let origin: string;
let connections = 0;
let work: string;
let base: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'kiln-http-input-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const hops = /^\/r\/(\d+)$/.exec(url.pathname);
    if (hops) {
      const n = Number(hops[1]);
      res.writeHead(302, { location: n === 0 ? '/clip.mp4' : `/r/${n - 1}` }).end();
      return;
    }
    const route = routes[url.pathname];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(base, { recursive: true, force: true });
});

beforeEach(async () => {
  connections = 0;
  work = await mkdtemp(path.join(base, 'job-'));
});

afterEach(() => {
  // Stalled responses would otherwise hold their sockets open until the suite ends.
  server.closeAllConnections();
});

const ctx = (signal?: AbortSignal): ResolveContext => ({
  customerId: 'cust-a',
  jobId: randomUUID(),
  workDir: work,
  signal,
});
const make = (over: Partial<ConstructorParameters<typeof InputResolver>[0]> = {}) =>
  new InputResolver({
    roots: [],
    storageDir: base,
    maxInputBytes: 2048 * 1024,
    timeoutMs: 5000,
    allowHosts: ['127.0.0.1'],
    ...over,
  });

/** Runs `fn`, returning what it rejected with and how long that took. */
async function failure(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    await fn();
  } catch (err) {
    return { err, ms: performance.now() - t0 };
  }
  throw new Error('expected a rejection');
}

describe('InputResolver http(s)://', () => {
  it('downloads into the work dir from an allowlisted host, and cleanup removes the file', async () => {
    const input = await make().resolve(`${origin}/clip.mp4`, ctx());
    expect(path.dirname(input.path)).toBe(work);
    expect(path.basename(input.path)).toBe('input.mp4');
    expect((await readFile(input.path)).equals(body)).toBe(true);
    await input.cleanup();
    expect(await readdir(work)).toEqual([]);
  });

  it('follows up to 5 redirects, re-checking each, and refuses a 6th', async () => {
    const input = await make().resolve(`${origin}/r/4`, ctx());
    expect((await readFile(input.path)).equals(body)).toBe(true);
    await input.cleanup();
    await expect(make().resolve(`${origin}/r/5`, ctx())).rejects.toMatchObject({
      code: 'input_download_failed',
      message: expect.stringContaining('redirected more than 5'),
    });
  });

  it('refuses 127.0.0.1 when it is not allowlisted, without connecting', async () => {
    const { err } = await failure(() => make({ allowHosts: [] }).resolve(`${origin}/clip.mp4`, ctx()));
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_forbidden' });
    expect(connections).toBe(0);
  });

  it('refuses a host name that resolves to loopback, without connecting', async () => {
    const port = (server.address() as AddressInfo).port;
    const { err } = await failure(() => make({ allowHosts: [] }).resolve(`http://localhost:${port}/clip.mp4`, ctx()));
    expect(err).toMatchObject({
      name: 'InputError',
      code: 'input_forbidden',
      message: expect.stringContaining('loopback'),
    });
    expect(connections).toBe(0);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://10.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://0.0.0.0/',
    'http://2130706433/',
    'https://192.168.0.1/',
  ])('refuses %s at once, without a connection attempt', async (url) => {
    // A real attempt would end in a transient error or a 5 s timeout, not a fast InputError.
    const { err, ms } = await failure(() => make({ allowHosts: [] }).resolve(url, ctx()));
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_forbidden' });
    expect(ms).toBeLessThan(500);
  });

  it('keeps refusing other private addresses when 127.0.0.1 is allowlisted', async () => {
    for (const url of ['http://169.254.169.254/', 'http://127.0.0.2/', 'http://[::1]/', 'http://10.0.0.1/']) {
      await expect(make().resolve(url, ctx())).rejects.toMatchObject({ name: 'InputError', code: 'input_forbidden' });
    }
  });

  it('refuses a redirect from an allowed host to a forbidden one', async () => {
    const { err, ms } = await failure(() => make().resolve(`${origin}/to-metadata`, ctx()));
    expect(err).toMatchObject({
      name: 'InputError',
      code: 'input_forbidden',
      message: expect.stringContaining('169.254.169.254'),
    });
    expect(ms).toBeLessThan(500);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    await expect(make().resolve(`${origin}/to-file`, ctx())).rejects.toMatchObject({ code: 'input_forbidden' });
  });

  it('refuses URLs with credentials', async () => {
    await expect(make().resolve(`http://user:pw@127.0.0.1:1/clip.mp4`, ctx())).rejects.toMatchObject({
      code: 'input_forbidden',
      message: expect.stringContaining('credentials'),
    });
    expect(connections).toBe(0);
  });

  it('refuses a body whose Content-Length is over the limit', async () => {
    await expect(make({ maxInputBytes: 1000 }).resolve(`${origin}/declared-too-large`, ctx())).rejects.toMatchObject({
      name: 'InputError',
      code: 'input_too_large',
    });
    expect(await readdir(work)).toEqual([]);
  });

  it('stops a chunked body without a length once it passes the limit, and removes the partial file', async () => {
    await expect(make({ maxInputBytes: 4000 }).resolve(`${origin}/chunked-too-large`, ctx())).rejects.toMatchObject({
      name: 'InputError',
      code: 'input_too_large',
    });
    expect(await readdir(work)).toEqual([]);
  });

  it('accepts a body exactly at the limit', async () => {
    const input = await make({ maxInputBytes: body.length }).resolve(`${origin}/clip.mp4`, ctx());
    expect((await readFile(input.path)).length).toBe(body.length);
  });

  it('times out a server that stalls mid-body, as a retryable error', async () => {
    const { err, ms } = await failure(() => make({ timeoutMs: 200 }).resolve(`${origin}/stall-body`, ctx()));
    expect(err).toBeInstanceOf(InputUnavailableError);
    expect(err).not.toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_timeout' });
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(2000);
    expect(await readdir(work)).toEqual([]);
  });

  it('times out a server that never sends headers', async () => {
    const { err, ms } = await failure(() => make({ timeoutMs: 200 }).resolve(`${origin}/stall-headers`, ctx()));
    expect(err).toMatchObject({ name: 'InputUnavailableError', code: 'input_timeout' });
    expect(ms).toBeLessThan(2000);
  });

  it('fails for good on 404, naming the status', async () => {
    const { err } = await failure(() => make().resolve(`${origin}/missing`, ctx()));
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'input_download_failed', message: expect.stringContaining('HTTP 404') });
  });

  it('retries on 503 and on a refused connection', async () => {
    const { err: busy } = await failure(() => make().resolve(`${origin}/busy`, ctx()));
    expect(busy).not.toBeInstanceOf(InputError);
    expect(busy).toMatchObject({ code: 'input_unavailable', message: expect.stringContaining('HTTP 503') });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { err: refused } = await failure(() => make().resolve(`http://127.0.0.1:${port}/clip.mp4`, ctx()));
    expect(refused).not.toBeInstanceOf(InputError);
    expect(refused).toMatchObject({ code: 'input_unreachable', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('refuses an empty download', async () => {
    await expect(make().resolve(`${origin}/empty`, ctx())).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await readdir(work)).toEqual([]);
  });

  it('stops when the job is cancelled mid-download', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort('cancelled by the customer'), 100);
    const { err, ms } = await failure(() => make().resolve(`${origin}/stall-body`, ctx(ac.signal)));
    expect(err).toBeInstanceOf(InputCancelledError);
    expect((err as Error).message).toContain('cancelled by the customer');
    expect(ms).toBeLessThan(1000);
    expect(await readdir(work)).toEqual([]);
  });
});

describe('HttpInputDownloader', () => {
  it('connects to the address the policy checked, not to a second DNS answer (rebinding)', async () => {
    const port = (server.address() as AddressInfo).port;
    const answers = ['127.0.0.1', '10.0.0.1'];
    const asked: string[] = [];
    // A rebinding DNS: first a permitted address, then an internal one. The name does not exist
    // in real DNS, so the download only succeeds if the socket used the checked answer.
    const policy = new AddressPolicy(['127.0.0.1'], async (host) => {
      asked.push(host);
      return [{ address: answers.shift() ?? '10.0.0.1', family: 4 }];
    });
    const downloader = new HttpInputDownloader({ policy, maxBytes: 1024, timeoutMs: 2000 });
    const dest = path.join(work, 'out');
    await downloader.download(new URL(`http://media.kiln-test.invalid:${port}/host`), dest);
    expect(await readFile(dest, 'utf8')).toBe(`media.kiln-test.invalid:${port}`);
    expect(asked).toEqual(['media.kiln-test.invalid']);
  });
});

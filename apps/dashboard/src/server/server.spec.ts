import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer } from './server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// node:http sends the path exactly as given (fetch would normalise "/../" away).
function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createDashboardServer', () => {
  let dir: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-dashboard-'));
    const webRoot = join(dir, 'web');
    await mkdir(join(webRoot, 'assets'), { recursive: true });
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Kiln</title>');
    await writeFile(join(webRoot, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(webRoot, 'assets', 'index-abc123.css'), 'body{}');
    await writeFile(join(dir, 'package.json'), '{"secret":"outside the web root"}');
    await writeFile(join(dir, 'web-secret.txt'), 'sibling with a shared prefix');
    server = createDashboardServer({ webRoot, apiUrl: 'http://api.example.test:3000' });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html for / with security headers and no long cache', async () => {
    const res = await get(port, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<title>Kiln</title>');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/connect-src 'self' http:\/\/api\.example\.test:3000 ws: wss:/);
    // Players and thumbnails of the job detail view load from the API's signed URLs; hls.js from blob: (MSE).
    expect(csp).toContain("media-src 'self' blob: http://api.example.test:3000;");
    expect(csp).toContain("img-src 'self' blob: http://api.example.test:3000;");
  });

  it("allows media from the API's public URL when signed URLs point there", async () => {
    const other = createDashboardServer({
      webRoot: join(dir, 'web'),
      apiUrl: 'http://api.example.test:3000',
      publicUrl: 'https://media.example.test/kiln',
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const res = await get((other.address() as AddressInfo).port, '/');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("media-src 'self' blob: http://api.example.test:3000 https://media.example.test;");
      expect(csp).toContain("connect-src 'self' http://api.example.test:3000 https://media.example.test ws: wss:");
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('serves hashed assets with their content type and an immutable cache', async () => {
    const js = await get(port, '/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log(1)');
    const css = await get(port, '/assets/index-abc123.css?v=1');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers /config.json with the API URL and /healthz with ok', async () => {
    const config = await get(port, '/config.json');
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body)).toEqual({ apiUrl: 'http://api.example.test:3000' });
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/assets/../../package.json',
    '/..%5cpackage.json',
    '/../web-secret.txt',
    '/%00index.html',
    '/%zz',
  ])('refuses %s with 404 and never leaks files outside the web root', async (path) => {
    const res = await get(port, path);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the web root');
    expect(res.body).not.toContain('shared prefix');
  });

  it('answers 404 for missing files and directories, 405 for other methods', async () => {
    expect((await get(port, '/nope.js')).status).toBe(404);
    expect((await get(port, '/assets')).status).toBe(404);
    expect((await get(port, '/assets/')).status).toBe(404);
    expect((await get(port, '/', 'POST')).status).toBe(405);
    const head = await get(port, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookSender } from './webhook-sender.js';

describe('WebhookSender', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      if (req.url === '/ok') res.writeHead(204).end();
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/silent')
        return; // never answers
      else res.writeHead(500).end('broken');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = new WebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: 2_000 });

  it('refuses a loopback receiver unless KILN_WEBHOOK_ALLOW_HOSTS lists it, without contacting it', async () => {
    hits.length = 0;
    const strict = new WebhookSender({ allowHosts: [], timeoutMs: 2_000 });
    const refused = await strict.send(`${base}/ok`, '{}', {});
    expect(refused).toMatchObject({ ok: false, refused: true, statusCode: null });
    expect(refused.error).toMatch(/127\.0\.0\.1: it is a loopback address.*KILN_WEBHOOK_ALLOW_HOSTS/);
    expect(hits).toEqual([]);
    expect(await allowed.send(`${base}/ok`, '{}', {})).toMatchObject({ ok: true, statusCode: 204, error: null });
  });

  it('refuses a host name that resolves to a private address', async () => {
    const sender = new WebhookSender({
      allowHosts: [],
      timeoutMs: 2_000,
      lookup: async () => [{ address: '10.0.0.8', family: 4 }],
    });
    const res = await sender.send('http://hooks.internal.example/in', '{}', {});
    expect(res).toMatchObject({ ok: false, refused: true });
    expect(res.error).toContain('resolves to a private address');
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    hits.length = 0;
    const res = await allowed.send(`${base}/moved`, '{}', {});
    expect(res).toMatchObject({ ok: false, refused: false, statusCode: 302 });
    expect(res.error).toContain('redirects are not followed');
    expect(hits).toEqual(['/moved']);
  });

  it('fails a non-2xx answer with its status and a receiver that does not answer in time', async () => {
    expect(await allowed.send(`${base}/broken`, '{}', {})).toMatchObject({
      ok: false,
      statusCode: 500,
      error: 'HTTP 500 Internal Server Error',
    });
    const quick = new WebhookSender({ allowHosts: ['127.0.0.1'], timeoutMs: 300 });
    const res = await quick.send(`${base}/silent`, '{}', {});
    expect(res).toMatchObject({ ok: false, statusCode: null, error: 'no answer within 300 ms', refused: false });
    expect(res.durationMs).toBeGreaterThanOrEqual(250);
  });
});

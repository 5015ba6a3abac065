import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getFreePort, startApp, startRedis, waitFor, type AppHandle, type RedisHandle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KEY = `key_acme_${randomBytes(16).toString('hex')}`;
const IDLE_S = 2;
const HEADERS_S = 2;

/** A raw loopback connection to the API: what it received and when it closed. */
function connect(
  port: number,
): Promise<{ socket: net.Socket; received: () => string; closedAfterMs: () => number | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const t0 = performance.now();
    let closedAt: number | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => (closedAt = performance.now() - t0));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closedAfterMs: () => closedAt }),
    );
    socket.once('error', reject);
  });
}

const uploadHead = (length: number) =>
  `POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;

describe('API connection timeouts (KILN_HTTP_IDLE_TIMEOUT_S, KILN_HTTP_HEADERS_TIMEOUT_S)', () => {
  let redis: RedisHandle;
  let api: AppHandle;
  let storageDir: string;

  beforeAll(async () => {
    redis = await startRedis();
    storageDir = await mkdtemp(path.join(tmpdir(), 'kiln-http-timeouts-'));
    const apiPort = await getFreePort();
    api = await startApp('api', {
      port: apiPort,
      env: {
        REDIS_URL: redis.url,
        KILN_REDIS_PREFIX: `test-${randomBytes(8).toString('hex')}`,
        KILN_API_KEYS: `acme:${KEY}`,
        KILN_API_PORT: String(apiPort),
        KILN_STORAGE_DIR: storageDir,
        KILN_RATE_LIMIT_PER_MIN: '0',
        // Nothing is published in these tests; the API only needs settings.
        PUSHER_APP_ID: '1',
        PUSHER_KEY: 'k',
        PUSHER_SECRET: 's',
        PUSHER_HOST: '127.0.0.1',
        PUSHER_PORT: String(await getFreePort()),
        PUSHER_USE_TLS: 'false',
        KILN_HTTP_IDLE_TIMEOUT_S: String(IDLE_S),
        KILN_HTTP_HEADERS_TIMEOUT_S: String(HEADERS_S),
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
    if (storageDir) await rm(storageDir, { recursive: true, force: true });
  });

  const storedUploads = async () => readdir(path.join(storageDir, 'uploads', 'acme')).catch(() => [] as string[]);

  it('stores a body that keeps flowing for longer than every timeout, byte for byte', { timeout: 30_000 }, async () => {
    // 6 MiB in 48 chunks, one every 125 ms: 6 s, three times the idle and headers timeouts,
    // never silent for more than a fraction of the idle timeout.
    const body = randomBytes(6 * 1024 * 1024);
    const chunks = 48;
    const conn = await connect(api.port);
    const t0 = performance.now();
    conn.socket.write(uploadHead(body.length));
    for (let i = 0; i < chunks; i++) {
      await new Promise((r) => setTimeout(r, 125));
      expect(conn.closedAfterMs(), `the connection closed after chunk ${i}`).toBeUndefined();
      conn.socket.write(body.subarray((i * body.length) / chunks, ((i + 1) * body.length) / chunks));
    }
    await waitFor(() => /\r\n\r\n\{.*\}$/s.test(conn.received()), {
      timeoutMs: 10_000,
      intervalMs: 20,
      message: 'the upload answer',
    });
    const elapsedMs = performance.now() - t0;
    conn.socket.destroy();
    expect(elapsedMs).toBeGreaterThan((IDLE_S + HEADERS_S) * 1000);
    const text = conn.received();
    expect(text.startsWith('HTTP/1.1 201')).toBe(true);
    const answer = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { id: string; sizeBytes: number };
    expect(answer.sizeBytes).toBe(body.length);
    const stored = await readFile(path.join(storageDir, 'uploads', 'acme', answer.id));
    expect(stored.length).toBe(body.length);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it(
    'closes a connection that goes silent in the middle of a body, after the idle timeout, and keeps nothing',
    { timeout: 30_000 },
    async () => {
      const before = await storedUploads();
      const conn = await connect(api.port);
      conn.socket.write(uploadHead(1024 * 1024));
      conn.socket.write(randomBytes(64 * 1024));
      await waitFor(() => conn.closedAfterMs() !== undefined, {
        timeoutMs: IDLE_S * 1000 + 8_000,
        intervalMs: 20,
        message: 'the idle connection to be closed',
      });
      // Closed by the idle timer, not at once: it waited for the silence.
      expect(conn.closedAfterMs()).toBeGreaterThanOrEqual(IDLE_S * 1000 - 100);
      // The partial body is removed once the request's end is seen (just after the close).
      await waitFor(async () => JSON.stringify(await storedUploads()) === JSON.stringify(before), {
        timeoutMs: 5_000,
        intervalMs: 20,
        message: 'the partial upload to be removed',
      });
    },
  );

  it(
    'closes a connection whose headers trickle in (slowloris) after the headers timeout',
    { timeout: 30_000 },
    async () => {
      const conn = await connect(api.port);
      const head = uploadHead(10);
      let sent = 0;
      // One byte every 100 ms never leaves the socket idle; only the headers timeout can end it.
      const timer = setInterval(() => {
        if (sent < head.length - 4 && conn.closedAfterMs() === undefined) conn.socket.write(head[sent++]!);
      }, 100);
      try {
        await waitFor(() => conn.closedAfterMs() !== undefined, {
          timeoutMs: HEADERS_S * 1000 + 8_000,
          intervalMs: 20,
          message: 'the slowloris connection to be closed',
        });
      } finally {
        clearInterval(timer);
      }
      expect(conn.closedAfterMs()).toBeGreaterThanOrEqual(HEADERS_S * 1000 - 100);
      expect(sent, 'bytes of headers sent before the close').toBeLessThan(head.length - 4);
      expect(conn.received()).toMatch(/^HTTP\/1\.1 408/);
    },
  );
});

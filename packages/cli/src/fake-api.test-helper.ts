import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Job } from '@kiln/client';
import type { CliIo } from './cli-context.js';

/** One request the fake API received. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

type Reply = { status: number; body?: unknown; raw?: string };
type Route = (req: SeenRequest) => Reply | Promise<Reply>;

/**
 * A tiny real HTTP server standing in for the API in unit specs: routes by `METHOD /path` (with
 * `:id` segments), records every request, answers 404 in the API's error shape otherwise.
 */
export async function startFakeApi(
  routes: Record<string, Route>,
): Promise<{ url: string; requests: SeenRequest[]; close(): Promise<void> }> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(seen);
      const route = Object.entries(routes).find(([key]) => matches(key, seen.method, seen.path))?.[1];
      void Promise.resolve(
        route
          ? route(seen)
          : {
              status: 404,
              body: { error: { code: 'not_found', message: `no route for ${seen.method} ${seen.path}` } },
            },
      ).then((reply) => {
        res.writeHead(reply.status, { 'content-type': reply.raw !== undefined ? 'text/html' : 'application/json' });
        res.end(reply.raw ?? JSON.stringify(reply.body ?? null));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function matches(key: string, method: string, path: string): boolean {
  const [m, pattern] = key.split(' ');
  if (m !== method || pattern === undefined) return false;
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((seg, i) => seg.startsWith(':') || seg === b[i]);
}

/** In-memory stdout/stderr and an environment for `runCli`; `text()` reads what was written. */
export function memoryIo(
  env: Record<string, string | undefined> = {},
  extra: Partial<CliIo> = {},
): CliIo & { out(): string; err(): string } {
  const stdout = new TextCapture();
  const stderr = new TextCapture();
  return { stdout, stderr, env, cwd: process.cwd(), ...extra, out: () => stdout.text, err: () => stderr.text };
}

/** A stream that keeps what is written to it, synchronously. */
class TextCapture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** A job as the API returns it, with the given fields changed. */
export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job_1',
    customerId: 'acme',
    status: 'queued',
    priority: 'normal',
    pool: 'cpu',
    input: 'https://example.com/a.mp4',
    metadata: {},
    progress: { percent: 0, fps: null, speed: null, etaSeconds: null },
    outputs: [
      {
        name: 'mp4-360p',
        preset: 'mp4-360p',
        status: 'pending',
        contentType: 'video/mp4',
        sizeBytes: null,
        durationSeconds: null,
        width: null,
        height: null,
        downloadPath: null,
      },
    ],
    error: null,
    attempts: 0,
    seq: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

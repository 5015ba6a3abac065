import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer } from './api-harness.js';

/** Sends `chunks` to `POST /v1/uploads` as a chunked body (no Content-Length), as a streaming client does. */
export function postChunked(
  server: http.Server,
  chunks: Buffer[],
  apiKey?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: { error?: { code: string } } }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        port,
        method: 'POST',
        path: '/v1/uploads',
        headers: { ...bearer(apiKey), 'content-type': 'video/mp4', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        answered = true;
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(text) as { error?: { code: string } },
          }),
        );
      },
    );
    // The server may answer 413 and close before every chunk went out: stop sending then.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const write = (i: number): void => {
      if (i === chunks.length || answered) {
        req.end();
        return;
      }
      if (req.destroyed) return;
      req.write(chunks[i]!, () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

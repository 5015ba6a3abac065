import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { UploadFn, UploadReply } from '@kiln/client';

/**
 * Uploads with node:http rather than fetch: an API that refuses an upload early (413) answers and
 * closes while the body is still being sent, and fetch then reports only the broken pipe; here the
 * answer is read as soon as it arrives, whatever happens to the rest of the body. The body (a
 * file opened with `openAsBlob`) is streamed, never read into memory.
 */
export const nodeUpload: UploadFn = (url, headers, body) =>
  new Promise<UploadReply>((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? https.request : http.request;
    let answered = false;
    const req = request(target, { method: 'POST', headers: { ...headers, 'Content-Length': String(body.size) } });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 502,
          statusText: res.statusMessage ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', (err) => {
      // The answer that explains a broken pipe may still be on its way: give it a moment.
      setTimeout(() => {
        if (!answered) reject(err);
      }, 250);
    });
    const file = Readable.fromWeb(body.stream() as Parameters<typeof Readable.fromWeb>[0]);
    file.on('error', (err) => {
      req.destroy();
      reject(err);
    });
    file.pipe(req);
  });

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playlistUris, walkHlsPlaylists } from './hls-walk.js';

describe('playlistUris', () => {
  it('lists variant and segment lines and URI attributes, in order, and skips tags, comments and blank lines', () => {
    const master =
      '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="s",NAME="en",URI="subs/en.m3u8"\n\n#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=640x360\nv0/index.m3u8\r\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90,URI="v0/iframes.m3u8"\n';
    expect(playlistUris(master)).toEqual(['subs/en.m3u8', 'v0/index.m3u8', 'v0/iframes.m3u8']);
    const media =
      '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_000.m4s\n# a comment\n#EXTINF:2.0,\n../v1/seg_001.m4s\n#EXT-X-ENDLIST\n';
    expect(playlistUris(media)).toEqual(['init.mp4', 'seg_000.m4s', '../v1/seg_001.m4s']);
  });
});

describe('walkHlsPlaylists', () => {
  let server: Server;
  let base: string;
  const files: Record<string, string> = {
    '/a/master.m3u8':
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nv1/index.m3u8\n',
    '/a/v0/index.m3u8': '#EXTM3U\n#EXTINF:4,\nseg_000.ts\n#EXTINF:4,\nseg_001.ts\n#EXT-X-ENDLIST\n',
    '/a/v1/index.m3u8': '#EXTM3U\n#EXTINF:4,\nseg_000.ts\n#EXTINF:4,\n../v0/seg_000.ts\n#EXT-X-ENDLIST\n',
    '/a/v0/seg_000.ts': 'x'.repeat(10),
    '/a/v0/seg_001.ts': 'y'.repeat(20),
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/a') return void res.writeHead(302, { location: '/a/master.m3u8' }).end();
      const body = files[req.url ?? ''];
      if (body === undefined) return void res.writeHead(404).end('nope');
      res
        .writeHead(200, { 'content-type': req.url!.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' })
        .end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches every playlist and every URI they name once, resolved against the playlist that named it, and reports misses', async () => {
    const walk = await walkHlsPlaylists(`${base}/a/master.m3u8`, (u) => fetch(u));
    expect(walk.map((e) => [new URL(e.url).pathname, e.status, e.playlist])).toEqual([
      ['/a/master.m3u8', 200, true],
      ['/a/v0/index.m3u8', 200, true],
      ['/a/v1/index.m3u8', 200, true],
      ['/a/v0/seg_000.ts', 200, false],
      ['/a/v0/seg_001.ts', 200, false],
      ['/a/v1/seg_000.ts', 404, false],
    ]);
    expect(walk.find((e) => e.url.endsWith('/a/v0/seg_001.ts'))).toMatchObject({
      bytes: 20,
      from: `${base}/a/v0/index.m3u8`,
      contentType: 'video/mp2t',
    });
  });

  it('resolves against the final URL after a redirect, as a player does', async () => {
    const walk = await walkHlsPlaylists(`${base}/a`, (u) => fetch(u));
    expect(walk.filter((e) => e.status !== 200).map((e) => new URL(e.url).pathname)).toEqual(['/a/v1/seg_000.ts']);
    expect(walk).toHaveLength(6);
  });
});

import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { getFreePort } from './ports.js';
import { answersPing, pingRedis } from './redis-ping.js';

describe('pingRedis', () => {
  it('returns null when nothing listens', async () => {
    expect(await pingRedis(await getFreePort(), '127.0.0.1', 300)).toBeNull();
  });

  it('returns the reply line of something that is not an open Redis', async () => {
    const server = net.createServer((socket) =>
      socket.once('data', () => socket.end('-NOAUTH Authentication required.\r\n')),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await pingRedis(port)).toBe('-NOAUTH Authentication required.');
      expect(await answersPing(port)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('returns null when a server accepts but never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await pingRedis(port, '127.0.0.1', 200)).toBeNull();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

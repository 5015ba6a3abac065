import net from 'node:net';

/**
 * Sends one inline command (e.g. `PING`, `INFO server`) to host:port over raw TCP and returns
 * the reply: a simple string or error line as-is (`+PONG`, `-NOAUTH ...`), a bulk string's
 * content, or null when nothing answers in time. Raw on purpose: no client library, no
 * reconnect loop, nothing to wait out when there is no Redis.
 */
export function redisInline(port: number, host: string, command: string, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = Buffer.alloc(0);
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      const first = reply.subarray(0, end).toString('latin1');
      if (!first.startsWith('$')) return done(first);
      const length = Number(first.slice(1));
      if (length < 0) return done('');
      if (reply.length >= end + 2 + length) done(reply.subarray(end + 2, end + 2 + length).toString('utf8'));
    });
    socket.once('end', () => done(null));
  });
}

/** Sends `PING` and returns the reply line (`+PONG` from an open Redis), or null when nothing answers. */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<string | null> {
  return redisInline(port, host, 'PING', timeoutMs);
}

/** Whether an open (password-less) Redis answers PING on host:port. */
export async function answersPing(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return (await pingRedis(port, host, timeoutMs)) === '+PONG';
}

/** The PID of the Redis serving host:port (from `INFO server`), or null. */
export async function redisProcessId(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<number | null> {
  const info = await redisInline(port, host, 'INFO server', timeoutMs);
  const match = info ? /^process_id:(\d+)/m.exec(info) : null;
  return match ? Number(match[1]) : null;
}

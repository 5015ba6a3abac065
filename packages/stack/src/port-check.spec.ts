import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { StackStartError } from './stack.errors.js';
import { assertPortsFree } from './port-check.js';
import { getFreePort } from './ports.js';

describe('assertPortsFree', () => {
  it('passes when every port is free', async () => {
    await expect(assertPortsFree([{ port: await getFreePort(), label: 'KILN_API_PORT' }])).resolves.toBeUndefined();
  });

  it('names the variable and port of the first taken one in one line', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      const attempt = assertPortsFree([
        { port: await getFreePort(), label: 'KILN_API_PORT' },
        { port: taken, label: 'KILN_WEBHOOKS_PORT', hint: 'set KILN_WEBHOOKS_PORT to a free port' },
      ]);
      await expect(attempt).rejects.toBeInstanceOf(StackStartError);
      await expect(attempt).rejects.toThrow(
        `KILN_WEBHOOKS_PORT: port ${taken} is already in use; set KILN_WEBHOOKS_PORT to a free port`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

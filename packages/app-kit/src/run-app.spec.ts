import { fork } from 'node:child_process';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isReadyMessage } from './ready-signal.js';
import { closeServer, listen } from './run-app.js';

describe('listen and closeServer', () => {
  it('listens on a picked port, and closes despite a keep-alive socket held open', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const port = await listen(server, 0, '127.0.0.1');
    expect(port).toBeGreaterThan(0);
    // A request in flight that never ends holds close() until the force.
    const held = createServer((_req, _res) => undefined);
    const heldPort = await listen(held, 0, '127.0.0.1');
    const req = request({ host: '127.0.0.1', port: heldPort, path: '/' });
    req.on('error', () => undefined);
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await Promise.all([closeServer(server), closeServer(held, 100)]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(held.listening).toBe(false);
  });
});

describe('announceReady', () => {
  it('sends the parent a ready message over IPC, and the child still exits on its own', async () => {
    const entry = fileURLToPath(new URL('../dist/ready-signal.js', import.meta.url));
    const script = `import(${JSON.stringify(entry)}).then((m) => m.announceReady('api', 1234));`;
    const child = fork('-e', [script], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const message = await new Promise((resolve) => child.once('message', resolve));
    expect(isReadyMessage(message)).toBe(true);
    expect(message).toEqual({ type: 'ready', app: 'api', port: 1234 });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  });
});

import { getFreePort } from '@kiln/stack';
import { describe, expect, it } from 'vitest';
import { startProcess } from './start-process.js';
import { ProcessNotHealthyError } from './testing.errors.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('startProcess', () => {
  it('resolves once the health URL answers, and passes only the given env', async () => {
    const port = await getFreePort();
    const script = `console.log('secret is ' + process.env.KILN_SPEC_SECRET + ', home is ' + process.env.HOME); require('node:http').createServer((q, s) => s.end('{"status":"ok"}')).listen(${port}, '127.0.0.1');`;
    const handle = await startProcess('fake-api', process.execPath, ['-e', script], {
      env: { ...env, KILN_SPEC_SECRET: 's3' },
      healthUrl: `http://127.0.0.1:${port}/healthz`,
    });
    try {
      expect(handle.child.alive).toBe(true);
      expect(handle.logs()).toContain('secret is s3, home is undefined');
    } finally {
      await handle.stop();
    }
    expect(handle.child.alive).toBe(false);
  });

  it('rejects at once with the output when the child exits before it is healthy', async () => {
    const port = await getFreePort();
    const started = Date.now();
    const attempt = startProcess(
      'broken',
      process.execPath,
      ['-e', "console.error('api: invalid configuration: REDIS_URL: must be a redis:// URL'); process.exit(1);"],
      { env, healthUrl: `http://127.0.0.1:${port}/healthz`, timeoutMs: 20_000 },
    );
    await expect(attempt).rejects.toBeInstanceOf(ProcessNotHealthyError);
    await expect(attempt).rejects.toThrow(
      /broken exited before it was healthy \(code 1[\s\S]*REDIS_URL: must be a redis:\/\/ URL/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('without a health URL, resolves on the IPC ready message and rejects when the child exits silently', async () => {
    const script = "process.send({ type: 'ready', app: 'fake', port: 1 }); setInterval(() => {}, 1000);";
    const handle = await startProcess('fake-worker', process.execPath, ['-e', script], { env, timeoutMs: 10_000 });
    expect(handle.child.alive).toBe(true);
    await handle.stop();
    const attempt = startProcess('silent', process.execPath, ['-e', "console.error('no redis'); process.exit(2);"], {
      env,
      timeoutMs: 10_000,
    });
    await expect(attempt).rejects.toThrow(/silent exited before it was healthy \(code 2[\s\S]*no redis/);
  });
});

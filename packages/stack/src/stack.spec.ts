import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackStartError } from './stack.errors.js';
import { getFreePort } from './ports.js';
import { maskRedisUrl } from './redis-provider.js';
import { startStack } from './stack.js';

// Pre-flight checks only: each case fails before anything is spawned, so the fake app entries
// below are never run (the whole-stack start is covered by test/e2e/npm-start.test.ts).
let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'kiln-stack-spec-'));
  for (const entry of [
    'api/dist/main.js',
    'webhooks/dist/main.js',
    'worker/dist/main.js',
    'dashboard/dist/server/main.js',
  ]) {
    await mkdir(path.dirname(path.join(root, 'apps', entry)), { recursive: true });
    await writeFile(path.join(root, 'apps', entry), 'process.exit(9)\n');
  }
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const freePorts = async () => ({
  KILN_API_PORT: String(await getFreePort()),
  KILN_WEBHOOKS_PORT: String(await getFreePort()),
  KILN_DASHBOARD_PORT: String(await getFreePort()),
});

describe('startStack pre-flight', () => {
  it('fails with one line naming the variable and port when a port is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      const env = {
        ...(await freePorts()),
        KILN_API_PORT: String(taken),
        PUSHER_APP_ID: '1',
        PUSHER_KEY: 'k',
        PUSHER_SECRET: 's',
      };
      const attempt = startStack(env, { root, cwd: root });
      await expect(attempt).rejects.toBeInstanceOf(StackStartError);
      await expect(attempt).rejects.toThrow(new RegExp(`^KILN_API_PORT: port ${taken} is already in use; [^\\n]+$`));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('rejects a malformed port variable by name', async () => {
    await expect(
      startStack({ ...(await freePorts()), KILN_DASHBOARD_PORT: 'http' }, { root, cwd: root }),
    ).rejects.toThrow('KILN_DASHBOARD_PORT: must be a port number');
  });

  it('rejects a half-configured Pusher app, naming what is missing', async () => {
    await expect(startStack({ ...(await freePorts()), PUSHER_APP_ID: '1' }, { root, cwd: root })).rejects.toThrow(
      /^PUSHER_KEY, PUSHER_SECRET: must be set too/,
    );
  });

  it('tells to build when an app entry is missing', async () => {
    await rm(path.join(root, 'apps', 'worker'), { recursive: true });
    await expect(startStack(await freePorts(), { root, cwd: root })).rejects.toThrow(
      'apps/worker/dist/main.js is missing: build first (npm run build)',
    );
  });
});

describe('maskRedisUrl', () => {
  it('hides a password and leaves other URLs alone', () => {
    expect(maskRedisUrl('redis://:hunter2@redis.internal:6379/0')).toBe('redis://:***@redis.internal:6379/0');
    expect(maskRedisUrl('rediss://kiln:pw@host:6380')).toBe('rediss://kiln:***@host:6380');
    expect(maskRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

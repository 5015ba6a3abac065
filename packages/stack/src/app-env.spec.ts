import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appEnv, workerEnv } from './app-env.js';
import { loadStackConfig } from './stack-config.js';

const parts = {
  cwd: '/srv/kiln',
  redisUrl: 'redis://127.0.0.1:6379',
  pusherEnv: { PUSHER_KEY: 'gen' },
  newKey: () => 'k1',
  newSecret: () => 's'.repeat(43),
};

describe('appEnv', () => {
  it('makes a demo customer, inputs and storage under .kiln, and the URLs each app needs', () => {
    const env = { PATH: '/bin', KILN_LOG_LEVEL: 'debug' };
    const apps = appEnv(env, loadStackConfig(env), parts);
    expect(apps.demoKey).toBe('k1');
    expect(apps.inputRoot).toBe(path.join('/srv/kiln', '.kiln', 'inputs'));
    expect(apps.defaultDirs).toEqual([apps.inputRoot, apps.storageDir]);
    expect(apps.env).toMatchObject({
      PATH: '/bin',
      KILN_LOG_LEVEL: 'debug',
      PUSHER_KEY: 'gen',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KILN_API_KEYS: 'demo:k1',
      KILN_STORAGE_DIR: path.join('/srv/kiln', '.kiln', 'storage'),
      KILN_API_PORT: '3000',
      KILN_API_URL: 'http://127.0.0.1:3000',
      KILN_DASHBOARD_ORIGINS: 'http://127.0.0.1:3002,http://localhost:3002',
      KILN_SIGNING_SECRET: 's'.repeat(43),
    });
  });

  it('makes one signing secret per run, 32 random bytes by default, unless KILN_SIGNING_SECRET is set', () => {
    const generated = appEnv({}, loadStackConfig({}), { ...parts, newSecret: undefined }).env.KILN_SIGNING_SECRET!;
    expect(generated).toMatch(/^[\w-]{43}$/);
    expect(appEnv({}, loadStackConfig({}), { ...parts, newSecret: undefined }).env.KILN_SIGNING_SECRET).not.toBe(
      generated,
    );
    const set = { KILN_SIGNING_SECRET: 'an-operator-secret-of-at-least-32-chars' };
    expect(appEnv(set, loadStackConfig(set), parts).env.KILN_SIGNING_SECRET).toBe(set.KILN_SIGNING_SECRET);
  });

  it('keeps what the operator set: customers, roots, storage, URLs; the first root is the shared one', () => {
    const env = {
      KILN_API_KEYS: 'acme:secret',
      KILN_INPUT_ROOTS: 'acme=/srv/acme,/srv/shared',
      KILN_STORAGE_DIR: '/data',
      KILN_API_URL: 'https://api.example.com',
    };
    const apps = appEnv(env, loadStackConfig(env), parts);
    expect(apps.demoKey).toBeUndefined();
    expect(apps.inputRoot).toBe('/srv/shared');
    expect(apps.defaultDirs).toEqual([]);
    expect(apps.env).toMatchObject({ KILN_API_KEYS: 'acme:secret', KILN_API_URL: 'https://api.example.com' });
  });

  it('names KILN_INPUT_ROOTS when it does not parse', () => {
    const env = { KILN_INPUT_ROOTS: 'bad id!=/x' };
    expect(() => appEnv(env, loadStackConfig(env), parts)).toThrow(/^KILN_INPUT_ROOTS: /);
  });
});

describe('workerEnv', () => {
  it('keeps a single worker on KILN_WORKER_METRICS_PORT and lets several pick free ports', () => {
    expect(workerEnv(loadStackConfig({ KILN_WORKER_METRICS_PORT: '9100' }))).toEqual({
      KILN_WORKER_METRICS_PORT: '9100',
    });
    expect(workerEnv(loadStackConfig({ KILN_WORKERS: '3', KILN_WORKER_METRICS_PORT: '9100' }))).toEqual({
      KILN_WORKER_METRICS_PORT: '0',
    });
  });
});

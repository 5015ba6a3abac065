import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@kiln/config';
import { createLogger } from '@kiln/logger';
import { describe, expect, it } from 'vitest';
import { buildDashboard, dashboardConfigSchema } from './build-dashboard.js';

describe('buildDashboard', () => {
  it('serves the page from its web root, and stop() closes even with a keep-alive socket open', async () => {
    const webRoot = await mkdtemp(join(tmpdir(), 'kiln-dashboard-build-'));
    await writeFile(join(webRoot, 'index.html'), '<title>Kiln</title>');
    const config = loadConfig(dashboardConfigSchema, { KILN_API_URL: 'http://127.0.0.1:3000' });
    const built = buildDashboard(config, createLogger({ name: 'dashboard', level: 'silent' }), webRoot);
    await built.start();
    await new Promise<void>((r) => built.server.listen(0, '127.0.0.1', r));
    const port = (built.server.address() as AddressInfo).port;
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(await page.text()).toContain('<title>Kiln</title>');
      // A browser's pre-opened connection: connected, nothing sent yet.
      const idle = request({ host: '127.0.0.1', port, path: '/', agent: false });
      idle.on('error', () => undefined);
      idle.flushHeaders();
      const started = Date.now();
      await built.stop();
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(built.server.listening).toBe(false);
    } finally {
      await rm(webRoot, { recursive: true, force: true });
    }
  });
});

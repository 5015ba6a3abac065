import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useApiHarness } from '../testing/api-harness.js';

const EMBED_DIR = path.dirname(fileURLToPath(import.meta.resolve('@kiln/client/embed/kiln-progress.js')));

describe('GET /embed/kiln-progress.js', () => {
  const harness = useApiHarness();

  it('serves the element as JavaScript to any origin, without a key, cached briefly', async () => {
    const res = await request(harness().app).get('/embed/kiln-progress.js').set('Origin', 'https://shop.example');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300, stale-while-revalidate=86400');
    expect(res.headers['etag']).toBeTruthy();
    expect(res.text).toContain('kiln-progress');
  });

  it('serves the hls.js chunk the element imports, cached for good (its name changes with its content)', async () => {
    const chunk = (await readdir(EMBED_DIR)).find((f) => /^hls-.+\.js$/.test(f));
    expect(chunk).toBeDefined();
    const entry = await request(harness().app).get('/embed/kiln-progress.js');
    expect(entry.text).toContain(`import("./${chunk}")`);
    const res = await request(harness().app).get(`/embed/${chunk}`);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('answers the JSON 404 for anything else under /embed', async () => {
    for (const p of ['/embed/', '/embed/nope.js', '/embed/../package.json']) {
      const res = await request(harness().app).get(p);
      expect(res.status, p).toBe(404);
      expect(res.body.error.code, p).toBe('not_found');
    }
  });
});

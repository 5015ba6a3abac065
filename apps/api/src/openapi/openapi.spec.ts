import { createHash } from 'node:crypto';
import { notFoundHandler } from '@kiln/app-kit';
import { startRedis, type RedisHandle } from '@kiln/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

interface Layer {
  rawPath?: string | string[];
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[]; router?: unknown };
}

/**
 * Every route the Express app registers, walking mounted routers; mounted apps (Bull Board) are one
 * entry, a path mounted only to answer 404 (the admin routes when absent) none.
 */
function registeredRoutes(app: Express): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          out.push({ method, path: prefix + (layer.route.path === '/' ? '' : layer.route.path) });
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + (raw === '/' ? '' : raw));
      } else if (raw !== '' && raw !== '/' && (layer.handle as unknown) !== notFoundHandler) {
        out.push({ method: 'mount', path: prefix + raw });
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

const toOpenApiPath = (p: string) => p.replace(/[:*](\w+)/g, '{$1}');

describe('OpenAPI document and docs page', () => {
  let server: RedisHandle;
  let h: ApiHarness;
  let withAdmin: Express;

  beforeAll(async () => {
    server = await startRedis();
    h = await startApiHarness(server.url);
    withAdmin = h.sibling({ admin: { user: 'ops', password: 'correct-horse', queues: [h.queue], fleet: h.fleet } });
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('documents every route the app registers, with and without the admin board', async () => {
    for (const app of [h.app, withAdmin]) {
      const spec = (await request(app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const routes = registeredRoutes(app);
      expect(routes.length).toBeGreaterThan(15);
      for (const { method, path } of routes) {
        const documented =
          method === 'mount'
            ? Object.keys(spec.paths).some((p) => p.startsWith(path))
            : spec.paths[toOpenApiPath(path)]?.[method] !== undefined;
        expect(documented, `${method.toUpperCase()} ${path}`).toBe(true);
      }
    }
    const admin = (await request(withAdmin).get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(admin.paths['/admin/queues']).toBeDefined();
    expect(admin.paths['/v1/admin/fleet']).toBeDefined();
    const plain = (await request(h.app).get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(plain.paths['/admin/queues']).toBeUndefined();
    expect(plain.paths['/v1/admin/fleet']).toBeUndefined();
  });

  it('is OpenAPI 3.1 whose references resolve, with request bodies from the zod schemas', async () => {
    const res = await request(h.app).get('/openapi.json');
    expect(res.status).toBe(200);
    const spec = res.body as {
      openapi: string;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(spec.openapi).toBe('3.1.0');
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, section, name] of refs)
      expect(
        (spec.components as Record<string, Record<string, unknown>>)[section!]?.[name!],
        `${section}/${name}`,
      ).toBeDefined();
    const create = spec.components.schemas.CreateJobRequest!;
    expect(create.required).toEqual(['input', 'outputs']);
    expect(create.properties!.outputs).toMatchObject({
      type: 'array',
      items: { properties: { preset: { enum: expect.arrayContaining(['mp4-720p']) } } },
    });
    expect(spec.components.schemas.RealtimeAuthRequest!.required).toEqual(['socket_id', 'channel_name']);
  });

  it('documents the event payload as the job summary, without input, metadata or files', async () => {
    const spec = (await request(h.app).get('/openapi.json')).body as {
      components: {
        schemas: Record<string, { properties: Record<string, { items?: { properties: Record<string, unknown> } }> }>;
      };
    };
    const { JobEvent, JobSummary } = spec.components.schemas;
    expect(JobEvent!.properties.job).toEqual({ $ref: '#/components/schemas/JobSummary' });
    expect(Object.keys(JobSummary!.properties)).not.toEqual(expect.arrayContaining(['input']));
    expect(JobSummary!.properties).not.toHaveProperty('metadata');
    expect(JobSummary!.properties.outputs!.items!.properties).not.toHaveProperty('files');
    expect(JobSummary!.properties.outputs!.items!.properties).toHaveProperty('fileCount');
  });

  it('documents GET /v1/usage and the limits’ 429 codes apart from rate_limited', async () => {
    const spec = (await request(h.app).get('/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    expect(spec.paths['/v1/usage']!.get!.responses['200']).toBeDefined();
    expect(spec.components.schemas.Usage!.required).toEqual(['customerId', 'running', 'queued', 'storedBytes']);
    const jobs429 = spec.paths['/v1/jobs']!.post!.responses['429']!.description!;
    expect(jobs429).toMatch(/rate_limited.*queued_jobs_limit.*stored_bytes_limit/);
    expect(spec.paths['/v1/uploads']!.post!.responses['429']!.description).toContain('stored_bytes_limit');
  });

  it('serves /docs without auth as a self-contained page its own CSP allows', async () => {
    const res = await request(h.app).get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.text;
    for (const path of ['/v1/jobs', '/v1/jobs/{id}/outputs/{name}', '/v1/stats', '/v1/uploads', '/openapi.json'])
      expect(html).toContain(`<span class="path">${path}</span>`);
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!json-schema)/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

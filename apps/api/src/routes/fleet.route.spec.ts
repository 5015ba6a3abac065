import { FleetRepository, type FleetWorkerInfo, type QueueDepthSource } from '@kiln/scheduler';
import type { Express } from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetService } from '../services/fleet.service.js';
import { bearer, KEY_A, type ApiHarness, useApiHarness } from '../testing/api-harness.js';

/** A queue-depth source that holds its figures in memory (the fair queue is the real one). */
class FixedQueueDepth implements QueueDepthSource {
  constructor(
    private readonly priorities: Awaited<ReturnType<QueueDepthSource['byPriority']>>,
    private readonly customers: Awaited<ReturnType<QueueDepthSource['byCustomer']>>,
  ) {}
  async byPriority() {
    return this.priorities;
  }
  async byCustomer() {
    return this.customers;
  }
}

const worker = (id: string, host: string, pid: number, pools: string[], concurrency: number): FleetWorkerInfo => ({
  id,
  host,
  pid,
  pools,
  concurrency,
  prefetch: 0,
  startedAt: '2026-12-03T11:00:00.000Z',
  jobs: [],
});

describe('GET /v1/admin/fleet and the fleet page', () => {
  let h: ApiHarness;
  let app: Express;
  let fleet: FleetRepository;

  const harness = useApiHarness();
  beforeAll(() => {
    h = harness();
    fleet = new FleetRepository(h.redis, h.prefix);
    const queue = new FixedQueueDepth(
      [{ priority: 'high', waiting: 2, oldestWaitSeconds: 12.5 }],
      [
        { customerId: 'globex', waiting: 1, running: 0 },
        { customerId: 'acme', waiting: 4, running: 2 },
      ],
    );
    app = h.sibling({
      admin: { user: 'ops', password: 'correct-horse', queues: [h.queue], fleet: new FleetService({ fleet, queue }) },
    });
  });

  it('is absent without admin credentials configured: 404 with or without any credentials', async () => {
    for (const path of ['/v1/admin/fleet', '/admin/fleet', '/admin/fleet/fleet.js']) {
      for (const req of [
        request(h.app).get(path),
        request(h.app).get(path).auth('ops', 'correct-horse'),
        request(h.app).get(path).set(bearer(KEY_A)),
      ]) {
        const res = await req;
        expect(res.status, path).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    }
  });

  it('asks for the admin credentials: 401 without them, with wrong ones or with an API key', async () => {
    for (const path of ['/v1/admin/fleet', '/admin/fleet', '/admin/fleet/fleet.js']) {
      const anonymous = await request(app).get(path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="Kiln admin"/);
      expect(anonymous.body.error.code).toBe('unauthorized');
      expect((await request(app).get(path).auth('ops', 'wrong-horse')).status, path).toBe(401);
      expect((await request(app).get(path).set(bearer(KEY_A))).status, path).toBe(401);
    }
  });

  it('answers the workers online with their jobs, queue depth for every priority, jobs per minute and slots', async () => {
    const busy = {
      ...worker('b:7:x', 'render-b', 7, ['cpu', 'gpu'], 2),
      jobs: [{ id: 'job-1', customerId: 'acme', status: 'encoding', percent: 37.5, speed: 2.25 }],
    };
    await fleet.heartbeat(busy);
    await fleet.heartbeat(worker('a:9:y', 'render-a', 9, ['cpu'], 1));
    await fleet.recordFinished('done-1');
    await fleet.recordFinished('done-2');

    const res = await request(app).get('/v1/admin/fleet').auth('ops', 'correct-horse');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      workers: [
        { ...worker('a:9:y', 'render-a', 9, ['cpu'], 1), lastSeenAt: expect.any(String), lastSeenSecondsAgo: 0 },
        { ...busy, lastSeenAt: expect.any(String), lastSeenSecondsAgo: 0 },
      ],
      queue: {
        byPriority: [
          { priority: 'high', waiting: 2, oldestWaitSeconds: 12.5 },
          { priority: 'normal', waiting: 0, oldestWaitSeconds: null },
          { priority: 'low', waiting: 0, oldestWaitSeconds: null },
        ],
        byCustomer: [
          { customerId: 'acme', waiting: 4, running: 2 },
          { customerId: 'globex', waiting: 1, running: 0 },
        ],
      },
      jobsPerMinute: 2,
      slotsOnline: { cpu: 3, gpu: 2 },
    });
  });

  it('serves the page and its script under a CSP that allows scripts from the API only', async () => {
    const page = await request(app).get('/admin/fleet').auth('ops', 'correct-horse');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<script src="fleet/fleet.js" defer></script>');
    expect(page.text).not.toMatch(/<script>|<script [^s]|\son[a-z]+=/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");

    const script = await request(app).get('/admin/fleet/fleet.js').auth('ops', 'correct-horse');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain("new URL('../v1/admin/fleet', document.baseURI)");

    const slash = await request(app).get('/admin/fleet/').auth('ops', 'correct-horse');
    expect(slash.status).toBe(301);
    expect(slash.headers.location).toBe('../fleet');
  });
});

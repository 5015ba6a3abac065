import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { memoryIo, startFakeApi } from './fake-api.test-helper.js';

const endpoint = {
  id: 'ep_1',
  url: 'https://hooks.example/in',
  events: ['job.completed'],
  description: null,
  status: 'enabled',
  disabledReason: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  previousSecretExpiresAt: null,
};
const delivery = {
  id: 'dlv_1',
  endpointId: 'ep_1',
  url: 'https://hooks.example/in',
  eventType: 'job.completed',
  webhookId: 'msg_1',
  status: 'failed',
  attempts: [
    { at: '2026-01-01T00:00:01.000Z', statusCode: 500, durationMs: 12, error: 'HTTP 500 Internal Server Error' },
  ],
  nextAttemptAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('kiln webhooks, deliveries and replay', () => {
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  const env = () => ({ KILN_API_URL: api.url, KILN_API_KEY: 'env-key' });

  beforeAll(async () => {
    api = await startFakeApi({
      'POST /v1/webhook-endpoints': (req) => ({
        status: 201,
        body: { ...endpoint, ...(JSON.parse(req.body.toString()) as object), secret: 'whsec_abc' },
      }),
      'GET /v1/webhook-endpoints': () => ({
        status: 200,
        body: { endpoints: [endpoint, { ...endpoint, id: 'ep_2', status: 'disabled', disabledReason: 'failing' }] },
      }),
      'DELETE /v1/webhook-endpoints/:id': () => ({ status: 204 }),
      'POST /v1/webhook-endpoints/:id/rotate-secret': () => ({
        status: 200,
        body: { secret: 'whsec_new', previousSecretExpiresAt: '2026-01-02T00:00:00.000Z' },
      }),
      'GET /v1/jobs/:id/deliveries': () => ({ status: 200, body: { deliveries: [delivery] } }),
      'POST /v1/deliveries/:id/replay': () => ({ status: 202, body: { delivery: { ...delivery, status: 'pending' } } }),
    });
  });
  afterAll(async () => api?.close());
  beforeEach(() => {
    api.requests.length = 0;
  });

  it('adds an endpoint with the chosen events and prints its secret once', async () => {
    const io = memoryIo(env());
    const code = await runCli(
      ['webhooks', 'add', 'https://hooks.example/in', '--event', 'job.completed', '--event', 'job.failed'],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(api.requests[0]!.body.toString())).toEqual({
      url: 'https://hooks.example/in',
      events: ['job.completed', 'job.failed'],
    });
    expect(io.out()).toContain('whsec_abc');
  });

  it('refuses an unknown event before any request', async () => {
    const io = memoryIo(env());
    expect(await runCli(['webhooks', 'add', 'https://h.example/', '--event', 'job.progress'], io)).toBe(2);
    expect(io.err()).toContain('unknown event job.progress');
    expect(api.requests).toHaveLength(0);
  });

  it('lists, rotates and removes endpoints', async () => {
    const list = memoryIo(env());
    expect(await runCli(['webhooks', 'list'], list)).toBe(0);
    expect(list.out()).toContain('disabled: failing');
    const rotate = memoryIo(env());
    expect(await runCli(['webhooks', 'rotate', 'ep_1'], rotate)).toBe(0);
    expect(rotate.out()).toContain('whsec_new');
    expect(await runCli(['webhooks', 'rm', 'ep_1'], memoryIo(env()))).toBe(0);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/webhook-endpoints',
      'POST /v1/webhook-endpoints/ep_1/rotate-secret',
      'DELETE /v1/webhook-endpoints/ep_1',
    ]);
  });

  it("shows a job's deliveries with their last attempt, and replays one", async () => {
    const io = memoryIo(env());
    expect(await runCli(['deliveries', 'job_1'], io)).toBe(0);
    expect(io.out()).toContain('HTTP 500 Internal Server Error');
    const replay = memoryIo(env());
    expect(await runCli(['--json', 'replay', 'dlv_1'], replay)).toBe(0);
    expect(JSON.parse(replay.out())).toMatchObject({ id: 'dlv_1', webhookId: 'msg_1', status: 'pending' });
  });
});

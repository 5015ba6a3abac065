import { randomUUID } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitForFinalJobs, listAllJobs } from '../support/job-listing.js';
import { connectCustomerClient } from '../support/pusher-client.js';
import { signedWebhookHeaders, webhookSignature } from '../support/pusher-webhook.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Fixed so a run is reproducible; set KILN_FUZZ_SEED to explore other inputs. */
const FUZZ_SEED = Number(process.env.KILN_FUZZ_SEED ?? 20261128);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The documented shape of a Pusher webhook (docs/realtime.md, FACTS.md): a JSON object with a
 * non-negative integer `time_ms` and an `events` array of objects that each have a string
 * `name` (and a string `channel` when they have one). Written from the docs, not the code.
 */
function isWellFormedWebhook(text: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isPlainObject(v) || !Number.isSafeInteger(v.time_ms) || (v.time_ms as number) < 0 || !Array.isArray(v.events))
    return false;
  return v.events.every(
    (e) => isPlainObject(e) && typeof e.name === 'string' && (e.channel === undefined || typeof e.channel === 'string'),
  );
}

/** Where in a JSON log line a secret sits (`msg` and the path of the key holding it), without the secret. */
function describeLeak(line: string, secret: string): string {
  const paths: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      if (v.includes(secret)) paths.push(at);
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) walk(child, at ? `${at}.${k}` : k);
    }
  };
  try {
    const parsed = JSON.parse(line) as { msg?: string };
    walk(parsed, '');
    return `"${parsed.msg ?? ''}" at ${paths.join(', ')}`;
  } catch {
    return 'a non-JSON line';
  }
}

function expectJsonError(res: RawResponse, status: number, code?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/application\/json/);
  const body = JSON.parse(res.text) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  if (code) expect(body.error.code).toBe(code);
}

describe('attacks on the API and the webhooks app', () => {
  let stack: TestStack;
  let redis: Redis;
  let acme: { id: string; key: string };
  let globex: { id: string; key: string };
  let input: string;
  /** A completed job of each customer, with a stored mp4-360p output. */
  let acmeJob: Job;
  let globexJob: Job;
  const leaks: string[] = [];

  const secrets = () => [
    ['acme API key', acme.key],
    ['globex API key', globex.key],
    ['Pusher secret', stack.env.PUSHER_SECRET!],
  ];
  /** Logs keep their last 2000 lines: scan after every test so nothing scrolls out unseen. */
  const scanLogs = () => {
    for (const [app, handle] of Object.entries(stack.apps)) {
      const logs = handle.logs();
      for (const [what, value] of secrets()) {
        const lines = logs.split('\n').filter((l) => l.includes(value!));
        // Name the line's message and the key the secret sat under, never the secret itself.
        for (const line of lines) leaks.push(`${what} in the ${app} log: ${describeLeak(line, value!)}`);
      }
    }
  };

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme', 'globex'],
      workers: 1,
      env: { KILN_RATE_LIMIT_PER_MIN: '0', KILN_LOG_LEVEL: 'debug' },
    });
    redis = new Redis(stack.redisUrl);
    [acme, globex] = stack.customers as [typeof acme, typeof globex];
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 160, height: 120 }), clip);
    input = pathToFileURL(clip).href;
    const a = await apiClient(stack.apiUrl, acme.key)<Job>('POST', '/v1/jobs', {
      input,
      outputs: [{ preset: 'mp4-360p' }],
    });
    const g = await apiClient(stack.apiUrl, globex.key)<Job>('POST', '/v1/jobs', {
      input,
      outputs: [{ preset: 'mp4-360p' }],
    });
    acmeJob = (await waitForFinalJobs(stack.apiUrl, acme.key, [a.body.id], { timeoutMs: 60_000 })).get(a.body.id)!;
    globexJob = (await waitForFinalJobs(stack.apiUrl, globex.key, [g.body.id], { timeoutMs: 60_000 })).get(g.body.id)!;
    expect(acmeJob.status).toBe('completed');
    expect(globexJob.status).toBe('completed');
  });
  afterEach(() => scanLogs());
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  it(
    'never answers 2xx to a webhook that is not correctly signed and well-formed (fuzzed)',
    { timeout: 90_000 },
    async () => {
      const key = stack.env.PUSHER_KEY!;
      const secret = stack.env.PUSHER_SECRET!;
      // Random channels only: a fuzzed event must not open or close a real customer's channel.
      const channel = fc
        .oneof(
          fc.constantFrom('private-customer-fuzz', 'presence-fuzz', 'private-encrypted-fuzz', ''),
          fc.string({ maxLength: 30 }),
        )
        .filter((c) => !/acme|globex/.test(c));
      const event = fc.oneof(
        fc.record({ name: fc.constantFrom('channel_occupied', 'channel_vacated'), channel }),
        fc.record(
          {
            name: fc.oneof(
              fc.constantFrom('member_added', 'client_event', 'channel_occupied'),
              fc.string({ maxLength: 20 }),
            ),
            channel: fc.option(channel, { nil: undefined }),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 2 }),
      );
      const wellFormed = fc.record({ time_ms: fc.nat({ max: 2 ** 47 }), events: fc.array(event, { maxLength: 4 }) });
      const loose = fc.record(
        {
          time_ms: fc.oneof(
            fc.nat({ max: 2 ** 47 }),
            fc.integer({ min: -(2 ** 40), max: -1 }),
            fc.jsonValue({ maxDepth: 1 }),
            fc.constant(2 ** 53 + 2),
          ),
          events: fc.oneof(fc.array(event, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
        },
        { requiredKeys: [] },
      );
      const body = fc.oneof(
        { weight: 4, arbitrary: wellFormed.map((v) => JSON.stringify(v)) },
        { weight: 3, arbitrary: loose.map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
        { weight: 1, arbitrary: wellFormed.map((v) => JSON.stringify(v).slice(0, -1)) },
      );
      const keyCase = fc.constantFrom('valid', 'missing', 'empty', 'unknown', 'valid-upper');
      const signatureCase = fc.constantFrom(
        'correct',
        'missing',
        'empty',
        'random',
        'wrong-secret',
        'other-body',
        'truncated',
        'upper-case',
      );
      // Half the requests are signed correctly, so well-formed and malformed signed bodies are both common.
      const credentials = fc.oneof(fc.constant(['valid', 'correct'] as const), fc.tuple(keyCase, signatureCase));
      const contentType = fc.constantFrom(
        undefined,
        'application/json',
        'text/plain',
        'application/octet-stream',
        'application/x-www-form-urlencoded',
      );

      const outcomes = { accepted: 0, badBody: 0, unauthorized: 0 };
      await fc.assert(
        fc.asyncProperty(
          body,
          credentials,
          contentType,
          fc.stringMatching(/^[A-Za-z0-9]{1,24}$/),
          async (text, [kc, sc], ct, junk) => {
            const raw = Buffer.from(text, 'utf8');
            const correct = webhookSignature(secret, raw);
            const headers: Record<string, string> = {};
            if (ct) headers['content-type'] = ct;
            const keyValue = {
              valid: key,
              missing: undefined,
              empty: '',
              unknown: junk,
              'valid-upper': key.toUpperCase() === key ? `${key}x` : key.toUpperCase(),
            }[kc];
            if (keyValue !== undefined) headers['x-pusher-key'] = keyValue;
            const sigValue = {
              correct,
              missing: undefined,
              empty: '',
              random: webhookSignature(junk, junk),
              'wrong-secret': webhookSignature(`${secret}x`, raw),
              'other-body': webhookSignature(secret, Buffer.concat([raw, Buffer.from(' ')])),
              truncated: correct.slice(0, -1),
              'upper-case': correct.toUpperCase(),
            }[sc];
            if (sigValue !== undefined) headers['x-pusher-signature'] = sigValue;

            const res = await rawRequest(stack.webhooksUrl, {
              method: 'POST',
              path: '/pusher/webhooks',
              headers,
              body: raw,
            });
            const signed = kc === 'valid' && sc === 'correct';
            const formed = isWellFormedWebhook(raw.toString('utf8'));
            // The security property first: a 2xx means signed with our secret and well-formed.
            if (res.status >= 200 && res.status < 300)
              expect({ signed, formed, status: res.status }).toEqual({
                signed: true,
                formed: true,
                status: res.status,
              });
            // And the precise answer: 401 unsigned, 400 signed but not a webhook, 200 otherwise.
            expect(res.status, res.text).toBe(!signed ? 401 : formed ? 200 : 400);
            if (res.status === 200) outcomes.accepted++;
            else if (res.status === 400) outcomes.badBody++;
            else outcomes.unauthorized++;
          },
        ),
        { numRuns: Number(process.env.KILN_FUZZ_RUNS ?? 300), seed: FUZZ_SEED },
      );
      // The generators reached every branch, so the property was tested where it matters.
      expect(outcomes.accepted).toBeGreaterThan(15);
      expect(outcomes.badBody).toBeGreaterThan(15);
      expect(outcomes.unauthorized).toBeGreaterThan(80);
      expect(
        await readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_webhooks_rejected_total', { reason: 'signature' }),
      ).toBeGreaterThanOrEqual(outcomes.unauthorized);
    },
  );

  it('a replayed old channel_vacated, correctly signed, cannot close a live channel', async () => {
    const channel = 'private-customer-globex';
    const setKey = `${stack.prefix}:occupancy:channels`;
    const staleBefore = await readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_occupancy_events_total', {
      event: 'channel_vacated',
      result: 'stale',
    });
    const watcher = await connectCustomerClient(stack.apiUrl, globex.key);
    try {
      await watcher.subscribed;
      // Opened by soketi's real channel_occupied webhook (its sync proves the set changed).
      await waitFor(() => watcher.events.some((e) => e.name === 'sync'), {
        timeoutMs: 10_000,
        message: 'sync after channel_occupied',
      });
      const liveTimeMs = Number(await redis.hget(`${stack.prefix}:occupancy:last:${channel}`, 't'));
      expect(liveTimeMs).toBeGreaterThan(Date.now() - 60_000);

      for (const timeMs of [liveTimeMs - 1, liveTimeMs - 60_000, 0]) {
        const body = JSON.stringify({ time_ms: timeMs, events: [{ name: 'channel_vacated', channel }] });
        const res = await rawRequest(stack.webhooksUrl, {
          method: 'POST',
          path: '/pusher/webhooks',
          headers: signedWebhookHeaders(stack.env.PUSHER_KEY!, stack.env.PUSHER_SECRET!, body),
          body,
        });
        expect(res.status, res.text).toBe(200); // signed and well-formed: accepted, and ignored as stale
        expect(await redis.sismember(setKey, channel)).toBe(1);
      }
      // Vacates are held for KILN_VACATED_DELAY_MS, then applied: all three found stale (a vacate held
      // from an earlier test may count too), and the channel is still open.
      const stale = () =>
        readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_occupancy_events_total', {
          event: 'channel_vacated',
          result: 'stale',
        });
      await waitFor(async () => (await stale()) >= staleBefore + 3, {
        timeoutMs: 15_000,
        message: 'the held vacates to be applied',
      });
      expect(await redis.sismember(setKey, channel)).toBe(1);

      // The gate is still open end to end: a new job's events reach the watcher.
      const created = await apiClient(stack.apiUrl, globex.key)<Job>('POST', '/v1/jobs', {
        input,
        outputs: [{ preset: 'mp4-360p' }],
      });
      expect(created.status).toBe(202);
      await waitFor(() => watcher.events.some((e) => e.name === 'job.completed' && e.data.id === created.body.id), {
        timeoutMs: 30_000,
        message: 'job.completed on the live channel',
      });
    } finally {
      watcher.disconnect();
    }
  });

  it('answers malformed JSON with 400 and oversize bodies with 413 on every JSON endpoint', async () => {
    const auth = { authorization: `Bearer ${acme.key}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const endpoints = [
      '/v1/jobs',
      `/v1/jobs/${acmeJob.id}/cancel`,
      `/v1/jobs/${acmeJob.id}/retry`,
      '/v1/realtime/auth',
    ];
    const big = JSON.stringify({ input, outputs: [{ preset: 'mp4-360p' }], metadata: { pad: 'x'.repeat(200 * 1024) } });
    for (const p of endpoints) {
      for (const malformed of ['{"input":', '{input: 1}', '[1,2', '{"a":1}}', '\u0000']) {
        expectJsonError(
          await rawRequest(stack.apiUrl, { method: 'POST', path: p, headers: json, body: malformed }),
          400,
        );
      }
      expectJsonError(
        await rawRequest(stack.apiUrl, { method: 'POST', path: p, headers: json, body: big }),
        413,
        'body_too_large',
      );
    }
    // pusher-js posts a form to the auth endpoint: an oversize form is refused too.
    const form = `socket_id=1.1&channel_name=private-customer-acme&pad=${'x'.repeat(64 * 1024)}`;
    expectJsonError(
      await rawRequest(stack.apiUrl, {
        method: 'POST',
        path: '/v1/realtime/auth',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }),
      413,
      'body_too_large',
    );

    // The webhooks app: signed malformed JSON is a 400; an oversize body a 413, signed or not.
    const key = stack.env.PUSHER_KEY!;
    const secret = stack.env.PUSHER_SECRET!;
    for (const malformed of ['{"time_ms":', '{"time_ms": 1, "events": [}', 'null', '']) {
      expectJsonError(
        await rawRequest(stack.webhooksUrl, {
          method: 'POST',
          path: '/pusher/webhooks',
          headers: signedWebhookHeaders(key, secret, malformed),
          body: malformed,
        }),
        400,
      );
    }
    const hugeWebhook = JSON.stringify({
      time_ms: Date.now(),
      events: Array.from({ length: 6000 }, (_, i) => ({
        name: 'channel_occupied',
        channel: `private-customer-pad-${i}`,
      })),
    });
    expect(hugeWebhook.length).toBeGreaterThan(256 * 1024);
    expectJsonError(
      await rawRequest(stack.webhooksUrl, {
        method: 'POST',
        path: '/pusher/webhooks',
        headers: signedWebhookHeaders(key, secret, hugeWebhook),
        body: hugeWebhook,
      }),
      413,
    );
    expectJsonError(
      await rawRequest(stack.webhooksUrl, {
        method: 'POST',
        path: '/pusher/webhooks',
        headers: { 'content-type': 'application/json' },
        body: hugeWebhook,
      }),
      413,
    );
    // None of this created a job.
    expect((await listAllJobs(stack.apiUrl, acme.key)).map((j) => j.id)).toEqual([acmeJob.id]);
  });

  it('refuses every malformed or foreign credential and accepts only the exact key', async () => {
    const k = acme.key;
    const refused: { what: string; headers?: Record<string, string | string[]>; query?: string }[] = [
      { what: 'no Authorization header' },
      { what: 'empty Authorization header', headers: { authorization: '' } },
      { what: 'Bearer and no key', headers: { authorization: 'Bearer' } },
      { what: 'Bearer and blanks', headers: { authorization: 'Bearer    ' } },
      { what: 'the key without a scheme', headers: { authorization: k } },
      {
        what: 'the key as Basic credentials',
        headers: { authorization: `Basic ${Buffer.from(`${k}:`).toString('base64')}` },
      },
      { what: 'the key under another scheme', headers: { authorization: `Token ${k}` } },
      { what: 'the key plus a character', headers: { authorization: `Bearer ${k}x` } },
      { what: 'the key minus its last character', headers: { authorization: `Bearer ${k.slice(0, -1)}` } },
      { what: 'the key upper-cased', headers: { authorization: `Bearer ${k.toUpperCase()}` } },
      { what: 'the key twice', headers: { authorization: `Bearer ${k} ${k}` } },
      { what: 'the key split by a space', headers: { authorization: `Bearer ${k.slice(0, 12)} ${k.slice(12)}` } },
      { what: 'the key and a comma', headers: { authorization: `Bearer ${k},` } },
      { what: 'the customer id as the key', headers: { authorization: 'Bearer acme' } },
      {
        what: 'a wrong key first, the right one in a second header',
        headers: { authorization: ['Bearer wrong', `Bearer ${k}`] },
      },
      // Credentials in places the API does not read them: refused, and (last test) not logged either.
      { what: 'the key in X-Api-Key', headers: { 'x-api-key': k } },
      { what: 'the key as Proxy-Authorization', headers: { 'proxy-authorization': `Bearer ${k}` } },
      { what: 'the key in the query string', query: `?api_key=${k}` },
    ];
    const before = (await listAllJobs(stack.apiUrl, k)).length;
    for (const { what, headers = {}, query = '' } of refused) {
      for (const [method, p, body] of [
        ['GET', '/v1/me', undefined],
        ['GET', '/v1/jobs', undefined],
        ['POST', '/v1/jobs', JSON.stringify({ input, outputs: [{ preset: 'mp4-360p' }] })],
      ] as const) {
        const res = await rawRequest(stack.apiUrl, {
          method,
          path: `${p}${query}`,
          headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
        });
        expect(res.status, `${what}: ${method} ${p}`).toBe(401);
        expectJsonError(res, 401, 'unauthorized');
        expect(res.text).not.toContain(k);
        expect(res.text).not.toContain('acme');
      }
    }
    expect((await listAllJobs(stack.apiUrl, k)).length, 'jobs created by refused requests').toBe(before);

    // The scheme is case-insensitive (RFC 9110); HTTP drops trailing blanks of a header value.
    for (const authorization of [`bearer ${k}`, `BEARER ${k}`, `Bearer ${k} `, `Bearer\t${k}`]) {
      const res = await rawRequest(stack.apiUrl, { path: '/v1/me', headers: { authorization } });
      expect(res.status, JSON.stringify(authorization)).toBe(200);
      expect((JSON.parse(res.text) as { customerId: string }).customerId).toBe('acme');
    }
    // Another customer's key is that customer, never this one.
    const other = await rawRequest(stack.apiUrl, {
      path: '/v1/me',
      headers: { authorization: `Bearer ${globex.key}` },
    });
    expect(JSON.parse(other.text)).toMatchObject({ customerId: 'globex', channel: 'private-customer-globex' });
  });

  it("answers 404 for another customer's job whatever is asked, exactly as for a job that does not exist", async () => {
    const g = apiClient(stack.apiUrl, globex.key);
    const ask = async (id: string) => [
      await g('GET', `/v1/jobs/${id}`),
      await g('POST', `/v1/jobs/${id}/cancel`),
      await g('POST', `/v1/jobs/${id}/retry`),
      await g('GET', `/v1/jobs/${id}/outputs/mp4-360p`),
    ];
    const foreign = await ask(acmeJob.id);
    const missing = await ask(randomUUID());
    for (let i = 0; i < foreign.length; i++) {
      expect(foreign[i]!.status).toBe(404);
      expect(foreign[i]!.body).toEqual(missing[i]!.body);
    }
    expect((await listAllJobs(stack.apiUrl, globex.key)).map((j) => j.id)).not.toContain(acmeJob.id);
    // Nor its channel.
    const auth = await g('POST', '/v1/realtime/auth', { socket_id: '123.456', channel_name: 'private-customer-acme' });
    expect(auth.status).toBe(403);
    expect(JSON.stringify(auth.body)).not.toMatch(/"auth"/);
    // And nothing happened to acme's job: same seq, still downloadable by acme.
    const a = apiClient(stack.apiUrl, acme.key);
    expect((await a<Job>('GET', `/v1/jobs/${acmeJob.id}`)).body).toEqual(acmeJob);
    const download = await fetch(`${stack.apiUrl}/v1/jobs/${acmeJob.id}/outputs/mp4-360p`, {
      headers: { authorization: `Bearer ${acme.key}` },
    });
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(acmeJob.outputs[0]!.sizeBytes);
  });

  it('answers 404, never a file, to path traversal in output names and job ids', async () => {
    const auth = { authorization: `Bearer ${acme.key}` };
    const j = acmeJob.id;
    const paths = [
      `/v1/jobs/${j}/outputs/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`,
      `/v1/jobs/${j}/outputs/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      `/v1/jobs/${j}/outputs/%2e%2e`,
      `/v1/jobs/${j}/outputs/..`,
      `/v1/jobs/${j}/outputs/../../../../../etc/passwd`,
      `/v1/jobs/${j}/outputs/..%5c..%5c..%5c..%5cetc%5cpasswd`,
      `/v1/jobs/${j}/outputs/%252e%252e%252f%252e%252e%252fetc%252fpasswd`,
      `/v1/jobs/${j}/outputs/mp4-360p%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`,
      `/v1/jobs/${j}/outputs/mp4-360p.mp4%00`,
      `/v1/jobs/${j}/outputs/.%2fmp4-360p`,
      `/v1/jobs/${j}/outputs/..%2f..%2fglobex%2f${globexJob.id}%2fmp4-360p.mp4`,
      `/v1/jobs/..%2f..%2f..%2fetc/outputs/passwd`,
      `/v1/jobs/%2e%2e/outputs/mp4-360p`,
      `/v1/jobs/..%2f${globexJob.id}/outputs/mp4-360p`,
      `/v1/jobs/${globexJob.id}/outputs/mp4-360p`,
    ];
    for (const p of paths) {
      const res = await rawRequest(stack.apiUrl, { path: p, headers: auth });
      expect(res.status, p).toBe(404);
      expect(res.text, p).not.toContain('root:');
      expect(res.body.includes(Buffer.from('ftyp')), `${p} returned video bytes`).toBe(false);
    }
    // Output names that would leave the job's directory are refused when the job is created.
    const a = apiClient(stack.apiUrl, acme.key);
    for (const name of ['../../etc/passwd', '..', '.', '.hidden', 'a/b', 'a\\..\\b', '%2e%2e', '', 'x'.repeat(300)]) {
      const res = await a('POST', '/v1/jobs', { input, outputs: [{ preset: 'mp4-360p', name }] });
      expect(res.status, JSON.stringify(name)).toBe(400);
    }
    // The real output is still served (the 404s above are not a broken route).
    expect((await rawRequest(stack.apiUrl, { path: `/v1/jobs/${j}/outputs/mp4-360p`, headers: auth })).status).toBe(
      200,
    );
  });

  it('never writes an API key or the Pusher secret to any log', () => {
    scanLogs();
    expect([...new Set(leaks)]).toEqual([]);
    // The scan looked at real logs: every app logged, and the API's request lines carry a redacted Authorization.
    for (const [app, handle] of Object.entries(stack.apps)) expect(handle.logs().length, app).toBeGreaterThan(0);
    expect(stack.apps.api!.logs()).toContain('[redacted]');
  });
});

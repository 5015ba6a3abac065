import { createHmac } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { channelsOf, makeClip, makeCorruptFile, waitFor, ffprobeJson } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCustomerClient, subscribeAs } from '../support/pusher-client.js';
import { apiClient, readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

describe('walking skeleton: API → BullMQ → ffmpeg → gated Pusher → webhooks', () => {
  let stack: TestStack;
  let redis: Redis;
  let clipUrl: string;
  let corruptUrl: string;
  const occupiedKey = () => `${stack.prefix}:occupancy:channels`;

  beforeAll(async () => {
    stack = await startTestStack({ customers: ['acme', 'globex'] });
    redis = new Redis(stack.redisUrl);
    const clip = await makeClip({ seconds: 2, width: 640, height: 480, audio: true });
    const clipCopy = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(clip, clipCopy);
    clipUrl = pathToFileURL(clipCopy).href;
    const corrupt = path.join(stack.inputRoot, 'corrupt.mp4');
    await copyFile(await makeCorruptFile(), corrupt);
    corruptUrl = pathToFileURL(corrupt).href;
  });

  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  const acme = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const globex = () => apiClient(stack.apiUrl, stack.customers[1]!.key);

  async function waitForStatus(client: ReturnType<typeof apiClient>, id: string, statuses: string[]): Promise<Job> {
    let job: Job | undefined;
    await waitFor(
      async () => {
        job = (await client<Job>('GET', `/v1/jobs/${id}`)).body;
        return statuses.includes(job.status);
      },
      { timeoutMs: 60_000, intervalMs: 100, message: `job ${id} to reach ${statuses.join('/')}` },
    );
    return job!;
  }

  it('delivers created, progress and completed events to a watching customer, in seq order', async () => {
    const client = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
    try {
      await client.subscribed;
      await waitFor(async () => (await redis.sismember(occupiedKey(), 'private-customer-acme')) === 1, {
        timeoutMs: 5_000,
        message: 'occupancy webhook to open the gate',
      });

      const created = await acme()<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }] });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ status: 'queued', seq: 1 });
      const id = created.body.id;

      await waitFor(() => client.events.some((e) => e.name === 'job.completed' && e.data.id === id), {
        timeoutMs: 60_000,
        message: 'job.completed on the channel',
      });
      const mine = client.events.filter((e) => e.data.id === id);
      const names = mine.map((e) => e.name);
      expect(names[0]).toBe('job.created');
      expect(names.filter((n) => n === 'job.progress').length).toBeGreaterThanOrEqual(1);
      expect(names.at(-1)).toBe('job.completed');
      const seqs = mine.map((e) => e.data.seq as number);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
      for (const e of mine) expect(e.data).toMatchObject({ id, status: expect.any(String) });
      // Percent comes from ffmpeg's position against the probed duration.
      const percents = mine.filter((e) => e.name === 'job.progress').map((e) => (e.data.job as Job).progress.percent);
      expect(Math.max(...percents)).toBeGreaterThan(50);

      const job = await waitForStatus(acme(), id, ['completed']);
      expect(job.outputs[0]).toMatchObject({ name: 'mp4-360p', status: 'completed', height: 360, width: 480 });
      const download = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: { authorization: `Bearer ${stack.customers[0]!.key}` },
      });
      expect(download.status).toBe(200);
      const file = path.join(stack.storageDir, 'acme', id, 'mp4-360p.mp4');
      const probe = await ffprobeJson(file);
      const video = probe.streams.find((s) => s.codec_type === 'video');
      expect(video).toMatchObject({ codec_name: 'h264', height: 360 });
      expect(probe.streams.some((s) => s.codec_type === 'audio' && s.codec_name === 'aac')).toBe(true);
      expect(Number(probe.format.duration)).toBeCloseTo(2, 0);
      expect(Number((await download.arrayBuffer()).byteLength)).toBe(job.outputs[0]!.sizeBytes);
      // Range requests: a player or a resumed download asks for a slice.
      const ranged = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: { authorization: `Bearer ${stack.customers[0]!.key}`, range: 'bytes=100-199' },
      });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${job.outputs[0]!.sizeBytes}`);
      expect((await ranged.arrayBuffer()).byteLength).toBe(100);
      const beyond = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: {
          authorization: `Bearer ${stack.customers[0]!.key}`,
          range: `bytes=${job.outputs[0]!.sizeBytes! + 10}-`,
        },
      });
      expect(beyond.status).toBe(416);
      // Validators: the recorded checksum is the ETag; a cached copy gets a 304 (max-age=0, as a
      // browser revalidates: fetch would otherwise add no-cache, which forbids a 304), and a resumed
      // download whose If-Range no longer matches gets the whole file, not a slice of another one.
      const etag = `"${job.outputs[0]!.checksum!.replace(/^sha256:/, '')}"`;
      expect(download.headers.get('etag')).toBe(etag);
      expect(download.headers.get('last-modified')).toBe(new Date(job.finishedAt!).toUTCString());
      const cached = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: {
          authorization: `Bearer ${stack.customers[0]!.key}`,
          'if-none-match': etag,
          'cache-control': 'max-age=0',
        },
      });
      expect(cached.status).toBe(304);
      const resumedSame = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: { authorization: `Bearer ${stack.customers[0]!.key}`, range: 'bytes=100-', 'if-range': etag },
      });
      expect(resumedSame.status).toBe(206);
      await resumedSame.arrayBuffer();
      const resumedOther = await fetch(`${stack.apiUrl}${job.outputs[0]!.downloadPath}`, {
        headers: { authorization: `Bearer ${stack.customers[0]!.key}`, range: 'bytes=100-', 'if-range': '"0000"' },
      });
      expect(resumedOther.status).toBe(200);
      expect((await resumedOther.arrayBuffer()).byteLength).toBe(job.outputs[0]!.sizeBytes);
    } finally {
      client.disconnect();
    }
  });

  it('makes no Pusher request for a customer nobody watches, and counts the events as gated', async () => {
    expect(await redis.sismember(occupiedKey(), 'private-customer-globex')).toBe(0);
    stack.recorder.reset();
    const gatedBefore = await readMetric(stack.workerMetricsUrls[0]!, 'kiln_realtime_events_total', {
      outcome: 'gated',
    });
    const created = await globex()<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }] });
    expect(created.status).toBe(202);
    const job = await waitForStatus(globex(), created.body.id, ['completed']);
    expect(job.outputs[0]!.status).toBe('completed');
    const forGlobex = stack.recorder.requests.filter((r) => channelsOf(r).includes('private-customer-globex'));
    expect(forGlobex).toHaveLength(0);
    const gatedAfter = await readMetric(stack.workerMetricsUrls[0]!, 'kiln_realtime_events_total', {
      outcome: 'gated',
    });
    expect(gatedAfter - gatedBefore).toBeGreaterThanOrEqual(4);
  });

  it('fails a corrupt input with a readable reason after one attempt', async () => {
    const created = await acme()<Job>('POST', '/v1/jobs', { input: corruptUrl, outputs: [{ preset: 'mp4-360p' }] });
    expect(created.status).toBe(202);
    const job = await waitForStatus(acme(), created.body.id, ['failed', 'completed']);
    expect(job.status).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error?.code).toBe('invalid_input');
    expect(job.error?.message).toMatch(/not a readable media file/);
    expect(job.outputs[0]!.status).toBe('failed');
  });

  describe('webhooks refuse what Pusher did not send', () => {
    const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${stack.webhooksUrl}/pusher/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });

    it('answers 401 to forged and unsigned webhooks and leaves the set alone', async () => {
      const body = JSON.stringify({
        time_ms: Date.now(),
        events: [{ name: 'channel_occupied', channel: 'private-customer-globex' }],
      });
      expect((await post(body, {})).status).toBe(401);
      expect(
        (await post(body, { 'x-pusher-key': stack.soketi.key, 'x-pusher-signature': sign(body, 'not-the-secret') }))
          .status,
      ).toBe(401);
      expect(
        (await post(body, { 'x-pusher-key': 'unknown-key', 'x-pusher-signature': sign(body, stack.soketi.secret) }))
          .status,
      ).toBe(401);
      expect(await redis.sismember(occupiedKey(), 'private-customer-globex')).toBe(0);
    });

    it('answers 400 to a signed body that is not a webhook', async () => {
      for (const body of ['{not json', JSON.stringify({ events: 'nope' })]) {
        const res = await post(body, {
          'x-pusher-key': stack.soketi.key,
          'x-pusher-signature': sign(body, stack.soketi.secret),
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toBeTruthy();
      }
    });

    it('applies a correctly signed webhook', async () => {
      const body = JSON.stringify({
        time_ms: Date.now(),
        events: [{ name: 'channel_occupied', channel: 'private-customer-nobody' }],
      });
      const res = await post(body, {
        'x-pusher-key': stack.soketi.key,
        'x-pusher-signature': sign(body, stack.soketi.secret),
      });
      expect(res.status).toBe(200);
      expect(await redis.sismember(occupiedKey(), 'private-customer-nobody')).toBe(1);
    });
  });

  describe('the API refuses bad requests with a JSON body naming the problem', () => {
    it('400 for a missing or unknown preset, naming the field', async () => {
      const missing = await acme()<{ error: { fields: { path: string }[] } }>('POST', '/v1/jobs', {
        input: clipUrl,
        outputs: [{}],
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error.fields.map((f) => f.path)).toContain('outputs.0.preset');
      const unknown = await acme()<{ error: { fields: { path: string; message: string }[] } }>('POST', '/v1/jobs', {
        input: clipUrl,
        outputs: [{ preset: 'mp4-9000p' }],
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.fields[0]).toMatchObject({
        path: 'outputs.0.preset',
        message: expect.stringMatching(/unknown preset/),
      });
      const noOutputs = await acme()<{ error: { fields: { path: string }[] } }>('POST', '/v1/jobs', { input: clipUrl });
      expect(noOutputs.body.error.fields.map((f) => f.path)).toContain('outputs');
    });

    it('400 for an input outside the allowed roots and for malformed JSON', async () => {
      const outside = await acme()<{ error: { fields: { path: string }[] } }>('POST', '/v1/jobs', {
        input: 'file:///etc/passwd',
        outputs: [{ preset: 'mp4-360p' }],
      });
      expect(outside.status).toBe(400);
      expect(outside.body.error.fields[0]!.path).toBe('input');
      const traversal = await acme()<{ error: { fields: { path: string }[] } }>('POST', '/v1/jobs', {
        input: `${pathToFileURL(stack.inputRoot).href}/../../etc/passwd`,
        outputs: [{ preset: 'mp4-360p' }],
      });
      expect(traversal.status).toBe(400);
      const bad = await acme()('POST', '/v1/jobs', '{"input": ');
      expect(bad.status).toBe(400);
    });

    it('401 without a key or with an unknown one', async () => {
      expect((await apiClient(stack.apiUrl)('GET', '/v1/me')).status).toBe(401);
      const unknown = await apiClient(stack.apiUrl, 'not-a-key')<{ error: { code: string } }>('GET', '/v1/jobs');
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.code).toBe('unauthorized');
    });

    it("404 when one customer reads another's job", async () => {
      const created = await acme()<Job>('POST', '/v1/jobs', { input: clipUrl, outputs: [{ preset: 'mp4-360p' }] });
      const other = await globex()<{ error: { code: string } }>('GET', `/v1/jobs/${created.body.id}`);
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('not_found');
      expect((await acme()('GET', `/v1/jobs/${created.body.id}`)).status).toBe(200);
      await waitForStatus(acme(), created.body.id, ['completed', 'failed']);
    });

    it("403 when a customer asks to be authorized for another customer's channel", async () => {
      const res = await fetch(`${stack.apiUrl}/v1/realtime/auth`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.customers[0]!.key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'socket_id=123.456&channel_name=private-customer-globex',
      });
      expect(res.status).toBe(403);
      // And through a real pusher-js subscription: soketi reports the refusal to the client.
      const me = (
        await acme()<{ pusher: { key: string; cluster: string; wsHost: string; wsPort: number; forceTLS: boolean } }>(
          'GET',
          '/v1/me',
        )
      ).body;
      const sneaky = subscribeAs(stack.apiUrl, stack.customers[0]!.key, me.pusher, 'private-customer-globex');
      try {
        const err = (await sneaky.authError) as { status?: number };
        expect(err.status).toBe(403);
      } finally {
        sneaky.disconnect();
      }
    });
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFfmpeg, listProcesses, type ProcessRow } from '../support/process-tree.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const running = async (pid: number): Promise<boolean> =>
  (await listProcesses()).some((p) => p.pid === pid && isFfmpeg(p));

describe("durable cancel: a worker whose cancel subscription is dead still stops the job's ffmpeg", () => {
  let stack: TestStack;
  let admin: Redis;
  let maxclients: string | undefined;

  beforeAll(async () => {
    stack = await startTestStack({ customers: ['acme'], workers: 1, env: { KILN_LOG_LEVEL: 'info' } });
    admin = new Redis(stack.redisUrl);
  }, 60_000);
  afterAll(async () => {
    if (maxclients) await admin.config('SET', 'maxclients', maxclients).catch(() => undefined);
    await admin?.quit();
    await stack?.stop();
  });

  it('stops the encode within seconds of the cancel and the job stays cancelled', { timeout: 120_000 }, async () => {
    const acme = stack.customers[0]!;
    const api = apiClient(stack.apiUrl, acme.key);
    // Far more work than the bound below: ~2 min of 720p into the 720p rendition.
    const clip = path.join(stack.inputRoot, 'long.mp4');
    await copyFile(await makeClip({ seconds: 120, width: 1280, height: 720, audio: false }), clip);
    const id = (
      await api<Job>('POST', '/v1/jobs', { input: pathToFileURL(clip).href, outputs: [{ preset: 'mp4-720p' }] })
    ).body.id;

    let ffmpeg: ProcessRow | undefined;
    await waitFor(
      async () => {
        ffmpeg = (await listProcesses()).find((p) => isFfmpeg(p) && p.args.includes(id));
        return ffmpeg !== undefined && (await api<Job>('GET', `/v1/jobs/${id}`)).body.status === 'encoding';
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the job to be encoding' },
    );

    // Every pub/sub connection is cut and none can come back: Redis takes no new client until
    // the test lets it. Connections that already exist (the API's, the worker's job store) work on.
    const connected = Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);
    const subscribers = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
      .split('\n')
      .filter(Boolean).length;
    expect(subscribers, 'pub/sub connections (the cancel subscriber among them)').toBeGreaterThan(0);
    maxclients = (await admin.config('GET', 'maxclients'))[1] as string;
    await admin.config('SET', 'maxclients', String(connected - subscribers));
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const noSubscriber = async () => String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).trim() === '';
    await waitFor(noSubscriber, { timeoutMs: 2_000, message: 'the subscribers to be gone' });

    const cancelled = await api<Job>('POST', `/v1/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    // The cancel message reached nobody; the worker's own look at the job must stop the encode.
    await waitFor(async () => !(await running(ffmpeg!.pid)), {
      timeoutMs: 10_000,
      intervalMs: 100,
      message: "the job's ffmpeg to stop after the cancel",
    });
    expect(await noSubscriber(), 'the cancel subscription was still dead when ffmpeg stopped').toBe(true);

    await admin.config('SET', 'maxclients', maxclients);
    maxclients = undefined;
    const worker = stack.apps.worker0!;
    await waitFor(
      () =>
        worker
          .logs()
          .split('\n')
          .some((l) => l.includes(`"jobId":"${id}"`) && l.includes('"msg":"job stopped"')),
      { timeoutMs: 10_000, message: 'the worker to log that it stopped the job' },
    );
    const job = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
    expect({ status: job.status, error: job.error }).toEqual({ status: 'cancelled', error: null });
    expect(
      (await listProcesses()).filter((p) => isFfmpeg(p) && p.args.includes(id)),
      'no ffmpeg of the job left',
    ).toEqual([]);
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/** Pusher's limit on an event's data string (soketi here runs with its default of 100 KB). */
const PUSHER_LIMIT = 10_240;

/**
 * A real 30-minute input, made cheap: the HLS ladder never upscales, so a tiny source gives one
 * rendition, and its segment count (one per 4 s, whatever the frame rate) is what grows the
 * record. 1800 s at 128×72 and 4 fps, no audio: 450 segments + 2 playlists + the thumbnails
 * (≈ 127 bytes of JSON each) make a record of ≈ 60 KB, from 7200 frames per output.
 */
const CLIP = { seconds: 1800, width: 128, height: 72, fps: 4, audio: false } as const;

describe('bounded events: a 30-minute job whose record is far over 10 KB', () => {
  let stack: TestStack;
  let redis: Redis;
  let clipUrl: string;

  beforeAll(async () => {
    const [started, clip] = await Promise.all([startTestStack({ customers: ['acme'] }), makeClip(CLIP)]);
    stack = started;
    redis = new Redis(stack.redisUrl);
    const input = path.join(stack.inputRoot, 'long-tiny.mp4');
    await copyFile(clip, input);
    clipUrl = pathToFileURL(input).href;
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  it('delivers job.completed live to a pusher-js watcher, and the API keeps every file', async () => {
    const acme = apiClient(stack.apiUrl, stack.customers[0]!.key);
    const watcher = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
    try {
      await watcher.subscribed;
      await waitFor(async () => (await redis.sismember(`${stack.prefix}:occupancy:channels`, watcher.channel)) === 1, {
        timeoutMs: 10_000,
        message: 'occupancy webhook to open the gate',
      });

      const outputs = [{ preset: 'hls' }, { preset: 'thumbnails' }, { preset: 'mp4-360p' }, { preset: 'mp4-480p' }];
      const created = await acme<Job>('POST', '/v1/jobs', {
        input: clipUrl,
        outputs,
        metadata: { title: 'bounded events' },
      });
      expect(created.status).toBe(202);
      const id = created.body.id;

      let record: Job | undefined;
      await waitFor(
        async () => {
          record = (await acme<Job>('GET', `/v1/jobs/${id}`)).body;
          return record.status === 'completed' || record.status === 'failed';
        },
        { timeoutMs: 300_000, intervalMs: 250, message: 'the job to finish' },
      );
      expect(record!.status).toBe('completed');
      // The worker sends the final event before it acknowledges the job: it is there within moments.
      await waitFor(() => watcher.events.some((e) => e.name === 'job.completed' && e.data.id === id), {
        timeoutMs: 10_000,
        message: 'job.completed on the channel',
      });

      // The API's record has every file, and is bigger than any event may be.
      const byName = Object.fromEntries(record!.outputs.map((o) => [o.name, o]));
      const segments = Math.ceil(CLIP.seconds / 4);
      expect(byName.hls!.files).toHaveLength(2 + segments);
      expect(byName.thumbnails!.files!.length).toBeGreaterThan(0);
      expect(byName['mp4-360p']!.checksum).toMatch(/^sha256:/);
      expect(Buffer.byteLength(JSON.stringify(record))).toBeGreaterThan(PUSHER_LIMIT);
      const segment = byName.hls!.files!.find((f) => f.path.endsWith('.ts'))!;
      const download = await fetch(`${stack.apiUrl}/v1/jobs/${id}/outputs/hls/${segment.path}`, {
        headers: { authorization: `Bearer ${stack.customers[0]!.key}` },
      });
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).length).toBe(segment.sizeBytes);

      // Every event of the job was within the limit; the last is the completion, at the record's seq.
      const mine = watcher.events.filter((e) => e.data.id === id);
      for (const e of mine) expect(Buffer.byteLength(JSON.stringify(e.data))).toBeLessThanOrEqual(PUSHER_LIMIT);
      expect(mine.at(-1)).toMatchObject({ name: 'job.completed', data: { id, seq: record!.seq, status: 'completed' } });
      const summary = mine.at(-1)!.data.job as Job;
      expect(summary.outputs.map((o) => [o.name, o.status, o.downloadPath, o.sizeBytes])).toEqual(
        record!.outputs.map((o) => [o.name, o.status, o.downloadPath, o.sizeBytes]),
      );
      expect(summary.outputs.map((o) => (o as { fileCount?: number }).fileCount)).toEqual(
        record!.outputs.map((o) => o.files?.length),
      );
      expect(summary.outputs.some((o) => 'files' in o)).toBe(false);
    } finally {
      watcher.disconnect();
    }
  }, 360_000);
});

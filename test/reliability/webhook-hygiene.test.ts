import { randomUUID } from 'node:crypto';
import { waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhookHeaders } from '../support/pusher-webhook.js';
import { rawRequest } from '../support/raw-http.js';
import { readMetric, startTestStack, type TestStack } from '../support/stack-harness.js';

const MINUTE = 60_000;

/**
 * Signed Pusher webhooks that must change nothing: replays older than the replay window (even once
 * Redis forgot the channel's last-applied time) and events about channels that are not Kiln's.
 */
describe('webhook hygiene', () => {
  let stack: TestStack;
  let redis: Redis;
  let setKey: string;

  beforeAll(async () => {
    stack = await startTestStack({ customers: ['acme'], workers: 0, env: { KILN_LOG_LEVEL: 'info' } });
    redis = new Redis(stack.redisUrl);
    setKey = `${stack.prefix}:occupancy:channels`;
  }, 120_000);
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  async function post(timeMs: number, events: { name: string; channel: string }[]): Promise<Record<string, number>> {
    const body = JSON.stringify({ time_ms: timeMs, events });
    const res = await rawRequest(stack.webhooksUrl, {
      method: 'POST',
      path: '/pusher/webhooks',
      headers: signedWebhookHeaders(stack.env.PUSHER_KEY!, stack.env.PUSHER_SECRET!, body),
      body,
    });
    expect(res.status, res.text).toBe(200);
    return JSON.parse(res.text) as Record<string, number>;
  }
  const metric = (event: string, result: string) =>
    readMetric(`${stack.webhooksUrl}/metrics`, 'kiln_occupancy_events_total', { event, result });
  /** Opens a fresh Kiln channel and waits for its sync: every publish issued before it has gone out too. */
  async function barrier(): Promise<void> {
    const marker = `private-customer-marker${randomUUID().slice(0, 8)}`;
    await post(Date.now(), [{ name: 'channel_occupied', channel: marker }]);
    await waitFor(() => stack.recorder.requestsFor(marker).length > 0, {
      timeoutMs: 15_000,
      message: `the sync to ${marker}`,
    });
  }

  it('counts a webhook older than the replay window as stale and changes nothing, also after the channel record expired', async () => {
    const channel = 'private-customer-acme';
    const now = Date.now();
    expect(await post(now, [{ name: 'channel_occupied', channel }])).toMatchObject({ applied: 1 });
    // A vacate is held for KILN_VACATED_DELAY_MS before it applies.
    expect(await post(now + 1, [{ name: 'channel_vacated', channel }])).toMatchObject({ deferred: 1 });
    await waitFor(async () => (await redis.sismember(setKey, channel)) === 0, {
      timeoutMs: 15_000,
      message: 'the held vacate to apply',
    });
    // What the record's TTL does in the end: Redis no longer knows when this channel last changed.
    await redis.del(`${stack.prefix}:occupancy:last:${channel}`);
    await barrier();
    const syncsBefore = stack.recorder.requestsFor(channel).length;
    const staleBefore = await metric('channel_occupied', 'stale');

    // A captured channel_occupied, correctly signed, replayed 11 minutes after Pusher made it.
    expect(await post(now - 11 * MINUTE, [{ name: 'channel_occupied', channel }])).toMatchObject({
      applied: 0,
      stale: 1,
    });
    expect(await redis.sismember(setKey, channel)).toBe(0);
    expect(await redis.exists(`${stack.prefix}:occupancy:last:${channel}`)).toBe(0);
    expect(await metric('channel_occupied', 'stale')).toBe(staleBefore + 1);
    await barrier();
    expect(stack.recorder.requestsFor(channel)).toHaveLength(syncsBefore);

    // A late retry inside the window still counts (Pusher retries for 5 minutes).
    expect(await post(now - 4 * MINUTE, [{ name: 'channel_occupied', channel }])).toMatchObject({ applied: 1 });
    expect(await redis.sismember(setKey, channel)).toBe(1);
  });

  it("ignores and counts channels outside Kiln's prefixes, with no Redis write and no sync", async () => {
    const foreign = [
      'private-other-acme',
      'presence-customer-acme',
      'private-customer-',
      'private-job-',
      'lobby',
      'private-customerx-acme',
    ];
    const jobChannel = `private-job-${randomUUID()}`;
    const ignoredBefore = await metric('channel_occupied', 'ignored');
    const reply = await post(Date.now(), [
      ...foreign.map((channel) => ({ name: 'channel_occupied', channel })),
      { name: 'channel_occupied', channel: jobChannel },
    ]);
    expect(reply).toMatchObject({ applied: 1, ignored: foreign.length });
    expect(await metric('channel_occupied', 'ignored')).toBe(ignoredBefore + foreign.length);
    const members = await redis.smembers(setKey);
    for (const channel of foreign) {
      expect(members).not.toContain(channel);
      expect(await redis.exists(`${stack.prefix}:occupancy:last:${channel}`), channel).toBe(0);
    }
    expect(members).toContain(jobChannel);
    await barrier();
    for (const channel of foreign) expect(stack.recorder.requestsFor(channel), channel).toHaveLength(0);
    // A job channel is Kiln's: it got its sync like a customer channel.
    expect(stack.recorder.requestsFor(jobChannel).length).toBeGreaterThan(0);
  });
});

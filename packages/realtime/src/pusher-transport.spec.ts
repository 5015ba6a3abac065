import { startSoketi, type SoketiHandle } from '@kiln/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PusherTransport } from './pusher-transport.js';
import { PusherApiError } from './realtime.errors.js';
import { RealtimeMetrics } from './realtime-metrics.js';

describe('PusherTransport against a real soketi', () => {
  let soketi: SoketiHandle;
  beforeAll(async () => {
    soketi = await startSoketi({});
  });
  afterAll(async () => {
    await soketi?.stop();
  });

  function transport(secret = soketi.secret) {
    const metrics = new RealtimeMetrics(new Registry());
    const t = new PusherTransport(
      {
        appId: soketi.appId,
        key: soketi.key,
        secret,
        cluster: 'mt1',
        host: '127.0.0.1',
        port: soketi.port,
        useTLS: false,
      },
      metrics,
    );
    const count = async (result: string) =>
      (await metrics.pusherRequests.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    return { t, count };
  }
  const ev = (i: number, size = 10) => ({
    channel: 'private-customer-a',
    name: 'job.progress',
    data: JSON.stringify({ i, pad: 'x'.repeat(size) }),
  });

  it('sends one event and batches of up to 10 as one request each', async () => {
    const { t, count } = transport();
    await t.triggerBatch([ev(1)]);
    await t.triggerBatch(Array.from({ length: 10 }, (_, i) => ev(i)));
    expect(await count('ok')).toBe(2);
    expect(await count('error')).toBe(0);
  });

  it('counts an 11 KB event as a failure: soketi answers 200 with an error body', async () => {
    const { t, count } = transport();
    const err = await t.triggerBatch([ev(1, 11 * 1024)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PusherApiError);
    expect((err as PusherApiError).bodyCode).toBe(413);
    expect(await count('error')).toBe(1);
    expect(await count('ok')).toBe(0);
  });

  it('counts a wrongly signed request as a failure', async () => {
    const { t, count } = transport('wrong-secret');
    const err = await t.triggerBatch([ev(1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PusherApiError);
    expect(await count('error')).toBe(1);
  });

  it('refuses a batch of 11 before sending anything', async () => {
    const { t, count } = transport();
    await expect(t.triggerBatch(Array.from({ length: 11 }, (_, i) => ev(i)))).rejects.toThrow(RangeError);
    expect(await count('ok')).toBe(0);
  });

  it('reads the occupied channels', async () => {
    const { t } = transport();
    expect(await t.occupiedChannels('private-customer-')).toEqual([]);
  });
});

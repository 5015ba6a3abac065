import { waitFor, type SoketiHandle } from '@kiln/testing';
import type Pusher from 'pusher';
import { startSoketiServer } from './soketi-server.test-helper.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me } from './api.schema.js';
import { connectRealtime, type RealtimeConnection, type RealtimeHandlers } from './realtime.adapter.js';

interface Seen {
  subscribed: number;
  events: { name: string; payload: unknown }[];
  queue: unknown[];
  syncs: unknown[];
  states: string[];
  errors: string[];
  unavailable: string[];
}

function recorder(): { seen: Seen; handlers: RealtimeHandlers } {
  const seen: Seen = { subscribed: 0, events: [], queue: [], syncs: [], states: [], errors: [], unavailable: [] };
  return {
    seen,
    handlers: {
      onSubscribed: () => seen.subscribed++,
      onJobEvent: (name, payload) => seen.events.push({ name, payload }),
      onQueueEvent: (payload) => seen.queue.push(payload),
      onSync: (payload) => seen.syncs.push(payload),
      onConnectionState: (state) => seen.states.push(state),
      onSubscriptionError: (detail) => seen.errors.push(detail),
      onUnavailable: (reason) => seen.unavailable.push(reason),
    },
  };
}

describe('connectRealtime against a real soketi', () => {
  let soketi: SoketiHandle;
  let server: Pusher;
  let me: Me;
  const open: RealtimeConnection[] = [];

  beforeAll(async () => {
    ({ soketi, server, me } = await startSoketiServer('private-customer-acme'));
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await soketi?.stop();
  });

  it('subscribes through the authorizer, then forwards job events and sync, and nothing after close', async () => {
    const { seen, handlers } = recorder();
    const asked: string[] = [];
    const connection = connectRealtime(
      me,
      async (socketId, channel) => {
        asked.push(channel);
        return server.authorizeChannel(socketId, channel);
      },
      handlers,
    );
    open.push(connection);
    await waitFor(() => seen.subscribed === 1, { timeoutMs: 10_000 });
    expect(asked).toEqual(['private-customer-acme']);
    expect(seen.states).toContain('connected');

    const payload = { id: 'j1', seq: 2, status: 'encoding', job: { id: 'j1' } };
    await server.trigger(me.channel, 'job.progress', payload);
    const places = {
      jobs: [{ id: 'j2', position: 1, etaSeconds: 30, pool: 'cpu', reason: null }],
      at: '2026-01-01T00:00:00.000Z',
    };
    await server.trigger(me.channel, 'queue.updated', places);
    await server.trigger(me.channel, 'sync', { at: '2026-01-01T00:00:00.000Z' });
    await server.trigger(me.channel, 'not.kiln', {});
    await waitFor(() => seen.syncs.length === 1, { timeoutMs: 10_000 });
    expect(seen.events).toEqual([{ name: 'job.progress', payload }]);
    expect(seen.queue).toEqual([places]);

    connection.close();
    await server.trigger(me.channel, 'job.completed', payload);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.events).toHaveLength(1);
    expect(seen.unavailable).toEqual([]);
  });

  it('reports a refused subscription as a subscription error and live updates unavailable', async () => {
    const { seen, handlers } = recorder();
    open.push(
      connectRealtime(
        me,
        async () => {
          throw new Error('403 not your channel');
        },
        handlers,
      ),
    );
    await waitFor(() => seen.errors.length === 1, { timeoutMs: 10_000 });
    expect(seen.subscribed).toBe(0);
    expect(seen.unavailable).toEqual([`subscription refused: ${seen.errors[0]}`]);
  });
});

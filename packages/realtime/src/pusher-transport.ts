import Pusher from 'pusher';
import type { PusherSettings } from './pusher-settings.js';
import { PusherApiError } from './realtime.errors.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

/** One event for `triggerBatch`. `data` is sent as given when already a string. */
export interface OutgoingEvent {
  channel: string;
  name: string;
  data: unknown;
}

/** Pusher's limit on one batch call. */
export const MAX_BATCH_EVENTS = 10;

/**
 * Our one door to the Pusher HTTP API. Counts every request, and treats soketi's habit of
 * answering errors with HTTP 200 and an `error` body as the failure it is.
 */
export class PusherTransport {
  readonly client: Pusher;

  constructor(
    settings: PusherSettings,
    private readonly metrics: RealtimeMetrics,
    timeoutMs = 5_000,
  ) {
    this.client = new Pusher({
      appId: settings.appId,
      key: settings.key,
      secret: settings.secret,
      useTLS: settings.useTLS,
      timeout: timeoutMs,
      ...(settings.host
        ? { host: settings.host, ...(settings.port ? { port: String(settings.port) } : {}) }
        : { cluster: settings.cluster }),
    });
  }

  /** Sends up to {@link MAX_BATCH_EVENTS} events in one HTTP request; throws {@link PusherApiError}. */
  async triggerBatch(events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length > MAX_BATCH_EVENTS) throw new RangeError(`a batch holds at most ${MAX_BATCH_EVENTS} events`);
    const batch = events.map((e) => ({
      channel: e.channel,
      name: e.name,
      data: typeof e.data === 'string' ? e.data : JSON.stringify(e.data),
    }));
    await this.send(() =>
      batch.length === 1
        ? this.client.trigger(batch[0]!.channel, batch[0]!.name, batch[0]!.data)
        : this.client.triggerBatch(batch),
    );
  }

  /** Reads `GET /channels` with a prefix filter: the channels Pusher says are occupied now. */
  async occupiedChannels(prefix: string): Promise<string[]> {
    const body = await this.send(() => this.client.get({ path: '/channels', params: { filter_by_prefix: prefix } }));
    const channels = (body as { channels?: Record<string, unknown> }).channels ?? {};
    return Object.keys(channels);
  }

  private async send(call: () => Promise<{ status: number; text(): Promise<string> }>): Promise<unknown> {
    let res: { status: number; text(): Promise<string> };
    try {
      res = await call();
    } catch (err) {
      this.metrics.pusherRequests.inc({ result: 'error' });
      const e = err as { status?: number; body?: string; message?: string };
      throw new PusherApiError(
        `Pusher request failed: ${e.status ? `HTTP ${e.status} ${e.body ?? ''}`.trim() : (e.message ?? String(err))}`,
        e.status,
        undefined,
      );
    }
    const text = await res.text().catch(() => '');
    let body: unknown = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { raw: text };
    }
    const error = (body as { error?: unknown }).error;
    if (error !== undefined) {
      this.metrics.pusherRequests.inc({ result: 'error' });
      const code = (body as { code?: unknown }).code;
      throw new PusherApiError(
        `Pusher answered ${res.status} with error: ${String(error)}`,
        res.status,
        typeof code === 'number' ? code : undefined,
      );
    }
    this.metrics.pusherRequests.inc({ result: 'ok' });
    return body;
  }
}

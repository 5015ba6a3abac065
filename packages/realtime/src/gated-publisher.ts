import { MAX_EVENT_BYTES } from '@kiln/jobs';
import type { Logger } from '@kiln/logger';
import type { OccupancyGate } from './occupancy-gate.js';
import pRetry from 'p-retry';
import { MAX_BATCH_EVENTS, type OutgoingEvent } from './pusher-transport.js';
import { PusherApiError } from './realtime.errors.js';
import type { RealtimeMetrics } from './realtime-metrics.js';

/** Pusher's limit on one event's data (owned by `@kiln/jobs`, whose event payloads it bounds). */
export { MAX_EVENT_BYTES };

/** What became of one event handed to the publisher. */
export type PublishOutcome = 'published' | 'gated' | 'coalesced' | 'failed';

/**
 * `state` events (a job changed status) are never dropped or reordered; `progress` events of one
 * key (a job) are coalesced, latest wins, and leave at most once per progress interval.
 */
export type EventKind = 'state' | 'progress';

export interface PublishOptions {
  kind?: EventKind;
  /** Ordering and coalescing key, usually the job id; defaults to the channel. */
  key?: string;
  /**
   * A smaller form of `data` to send instead when `data` exceeds {@link MAX_EVENT_BYTES} (a job's
   * minimal summary). The swap is logged and counted; without it such an event is refused.
   */
  fallback?: () => unknown;
}

/** What the publisher sends batches through (the Pusher transport, or a counting fake in benches). */
export interface BatchSink {
  triggerBatch(events: OutgoingEvent[]): Promise<void>;
}

export interface GatedPublisherOptions {
  /** Minimum time between two progress events of one key. */
  progressIntervalMs?: number;
  /** Attempts for one batch on transient failures (network, 5xx), with exponential backoff. */
  maxAttempts?: number;
  retryBaseMs?: number;
  /** How long the flusher waits for more events before sending a batch that is not full. */
  batchWindowMs?: number;
}

/** What a {@link GatedPublisher} is made of, with its tuning options. */
export interface GatedPublisherDeps extends GatedPublisherOptions {
  /** Asked when an event is about to leave: is anyone watching its channel? */
  gate: OccupancyGate;
  sink: BatchSink;
  metrics: RealtimeMetrics;
  logger: Logger;
  /** The clock progress intervals are measured on (tests move it by hand). */
  now?: () => number;
}

interface Entry {
  channel: string;
  name: string;
  json: string;
  kind: EventKind;
  key: string;
  /** Progress may not leave before this time (the key's last progress + interval). */
  notBefore: number;
  resolve: (o: PublishOutcome) => void;
}

/**
 * Publishes events to customer channels only while someone watches them, at the fewest Pusher
 * calls: the gate is checked when an event is about to leave, progress is coalesced per job,
 * and events leave in `triggerBatch` calls of at most 10. Events of one key keep their order;
 * the last progress before a state change leaves before it. Failures are counted and logged,
 * never thrown at the caller: a missed event must not fail an encode, and watching clients
 * re-sync from the API.
 */
export class GatedPublisher {
  private queue: Entry[] = [];
  private readonly pendingProgress = new Map<string, Entry>();
  private readonly lastProgressAt = new Map<string, number>();
  private lastSweepAt = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly idleWaiters: (() => void)[] = [];
  private failing = false;
  private readonly progressIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly batchWindowMs: number;
  private readonly gate: OccupancyGate;
  private readonly sink: BatchSink;
  private readonly metrics: RealtimeMetrics;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(deps: GatedPublisherDeps) {
    this.gate = deps.gate;
    this.sink = deps.sink;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.progressIntervalMs = deps.progressIntervalMs ?? 1000;
    this.maxAttempts = deps.maxAttempts ?? 4;
    this.retryBaseMs = deps.retryBaseMs ?? 100;
    this.batchWindowMs = deps.batchWindowMs ?? 5;
  }

  /** Hands one event over; resolves with what became of it. */
  publish(channel: string, name: string, data: unknown, options: PublishOptions = {}): Promise<PublishOutcome> {
    const json = this.fitted(channel, name, data, options.fallback);
    if (json === undefined) return Promise.resolve('failed');
    return this.enqueue(channel, options.key ?? channel, name, json, options.kind ?? 'state');
  }

  /**
   * Hands one event over for several channels (a job's customer and job channels), serialized
   * once; each channel has its own key and gate. Resolves with what became of each.
   */
  publishToEach(
    targets: readonly { channel: string; key: string }[],
    name: string,
    data: unknown,
    options: Omit<PublishOptions, 'key'> = {},
  ): Promise<PublishOutcome[]> {
    const json = this.fitted(targets.map((t) => t.channel).join(','), name, data, options.fallback);
    if (json === undefined) return Promise.resolve(targets.map(() => 'failed' as const));
    const kind = options.kind ?? 'state';
    return Promise.all(targets.map((t) => this.enqueue(t.channel, t.key, name, json, kind)));
  }

  private enqueue(channel: string, key: string, name: string, json: string, kind: EventKind): Promise<PublishOutcome> {
    return new Promise<PublishOutcome>((resolve) => {
      if (kind === 'progress') {
        const pending = this.pendingProgress.get(key);
        if (pending) {
          // Latest wins: the queued progress takes the new value; the older one is coalesced.
          const previous = pending.resolve;
          pending.json = json;
          pending.name = name;
          pending.resolve = resolve;
          previous('coalesced');
          this.metrics.events.inc({ outcome: 'coalesced' });
          return;
        }
        const entry: Entry = {
          channel,
          name,
          json,
          kind,
          key,
          notBefore: (this.lastProgressAt.get(key) ?? -Infinity) + this.progressIntervalMs,
          resolve,
        };
        this.pendingProgress.set(key, entry);
        this.queue.push(entry);
      } else {
        // A state change closes the key's progress slot: later progress queues behind it.
        this.pendingProgress.delete(key);
        this.queue.push({ channel, name, json, kind, key, notBefore: 0, resolve });
      }
      this.schedule(kind === 'state' ? 0 : this.batchWindowMs);
    });
  }

  /**
   * `data` as JSON when it fits Pusher's limit, else its fallback's (logged and counted: by
   * construction it should never be needed), else undefined: refused, logged and counted.
   */
  private fitted(
    channel: string,
    name: string,
    data: unknown,
    fallback: (() => unknown) | undefined,
  ): string | undefined {
    const json = serialize(data);
    const bytes = Buffer.byteLength(json);
    if (bytes <= MAX_EVENT_BYTES) return json;
    if (fallback) {
      const smaller = serialize(fallback());
      const smallerBytes = Buffer.byteLength(smaller);
      if (smallerBytes <= MAX_EVENT_BYTES) {
        this.logger.error(
          { channel, event: name, bytes, sentBytes: smallerBytes },
          'event larger than Pusher allows (10 KB); sent its minimal form instead',
        );
        this.metrics.oversizeEvents.inc({ action: 'fallback' });
        return smaller;
      }
    }
    this.logger.error({ channel, event: name, bytes }, 'event larger than Pusher allows (10 KB); not sent');
    this.metrics.oversizeEvents.inc({ action: 'refused' });
    this.metrics.events.inc({ outcome: 'failed' });
    return undefined;
  }

  /**
   * True from a batch that failed on every attempt with a transient error (Pusher down or
   * unreachable) until the next batch gets through. Callers that wait for their events can stop
   * waiting while it is set: the wait would only add the retries' backoff to their own work.
   */
  get degraded(): boolean {
    return this.failing;
  }

  /** Resolves when every event handed in so far has left, been gated, or failed. */
  flush(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return Promise.resolve();
    // Held progress is sent now rather than waiting for its interval.
    for (const e of this.queue) e.notBefore = 0;
    this.schedule(0);
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(delayMs: number): void {
    if (this.flushing) return;
    if (this.timer) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule(this.nextWake());
        else for (const w of this.idleWaiters.splice(0)) w();
      });
    }, delayMs);
  }

  /** Time until the earliest held entry may leave. */
  private nextWake(): number {
    const earliest = Math.min(...this.queue.map((e) => e.notBefore));
    return Math.max(0, earliest - this.now());
  }

  /** Sends every ready entry, in batches, one request at a time. */
  private async drain(): Promise<void> {
    for (;;) {
      const batch = await this.takeBatch();
      if (batch.length === 0) return;
      await this.send(batch);
    }
  }

  /**
   * Picks up to 10 entries that may leave now, keeping each key's order: an entry is skipped
   * while an earlier entry of its key is held. A held progress followed by a state change of
   * the same key is released, so the final progress is not lost. Gated entries are resolved here.
   */
  private async takeBatch(): Promise<Entry[]> {
    const now = this.now();
    // Events handed in while the gate is asked land in a fresh queue, behind what is kept.
    const snapshot = this.queue;
    this.queue = [];
    const blocked = new Set<string>();
    const batch: Entry[] = [];
    const keep: Entry[] = [];
    const stateKeys = new Set(snapshot.filter((e) => e.kind === 'state').map((e) => e.key));
    for (const e of snapshot) {
      const ready = e.kind === 'state' || e.notBefore <= now || stateKeys.has(e.key);
      if (batch.length >= MAX_BATCH_EVENTS || blocked.has(e.key) || !ready) {
        blocked.add(e.key);
        keep.push(e);
        continue;
      }
      if (this.pendingProgress.get(e.key) === e) this.pendingProgress.delete(e.key);
      const decision = await this.decide(e);
      if (decision === 'gated' || decision === 'dropped') {
        this.metrics.events.inc({ outcome: decision === 'gated' ? 'gated' : 'failed' });
        e.resolve(decision === 'gated' ? 'gated' : 'failed');
        continue;
      }
      if (e.kind === 'progress') this.lastProgressAt.set(e.key, now);
      batch.push(e);
    }
    this.queue = [...keep, ...this.queue];
    this.forgetOldProgressTimes(now);
    return batch;
  }

  /**
   * Drops progress times older than the interval, at most once per interval: they hold nothing
   * back any more, and a worker running for weeks meets millions of jobs (two keys each, with
   * job channels), whose times would otherwise stay for the life of the process.
   */
  private forgetOldProgressTimes(now: number): void {
    if (now - this.lastSweepAt < this.progressIntervalMs) return;
    this.lastSweepAt = now;
    for (const [key, at] of this.lastProgressAt)
      if (at + this.progressIntervalMs <= now) this.lastProgressAt.delete(key);
  }

  /**
   * The gate's answer. When neither the mirror nor Redis can answer, state changes go out anyway
   * (fail-open: a watcher must not miss a completion) and progress is dropped.
   */
  private async decide(e: Entry): Promise<'open' | 'gated' | 'dropped'> {
    try {
      return (await this.gate.isOccupied(e.channel)) ? 'open' : 'gated';
    } catch (err) {
      if (e.kind === 'state') {
        this.metrics.gateFailures.inc({ action: 'fail_open' });
        this.logger.warn(
          { err, channel: e.channel, event: e.name },
          'occupancy unknown (Redis unavailable); publishing state change anyway',
        );
        return 'open';
      }
      this.metrics.gateFailures.inc({ action: 'dropped' });
      return 'dropped';
    }
  }

  /**
   * Sends one batch, retrying transient failures up to `maxAttempts` times with exponential backoff
   * (×4 from `retryBaseMs`) and jitter, so publishers that failed together do not retry together.
   */
  private async send(batch: Entry[]): Promise<void> {
    const events = batch.map((e) => ({ channel: e.channel, name: e.name, data: e.json }));
    let attempt = 0;
    try {
      const attemptOnce = () => {
        attempt++;
        return this.sink.triggerBatch(events);
      };
      await pRetry(attemptOnce, {
        retries: this.maxAttempts - 1,
        factor: 4,
        minTimeout: this.retryBaseMs,
        maxTimeout: Infinity,
        randomize: true,
        shouldRetry: ({ error }) => !isClientError(error),
      });
    } catch (err) {
      if (!isClientError(err)) this.failing = true;
      this.logger.warn(
        { err, events: batch.length, attempt },
        'Pusher publish failed; events dropped (clients re-sync from the API)',
      );
      this.metrics.events.inc({ outcome: 'failed' }, batch.length);
      for (const e of batch) e.resolve('failed');
      return;
    }
    this.failing = false;
    this.metrics.events.inc({ outcome: 'published' }, batch.length);
    for (const e of batch) e.resolve('published');
  }
}

function serialize(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}

/** A 4xx (in the status or, for soketi's errors-in-a-200, the body's code) will not succeed on retry. */
function isClientError(err: unknown): boolean {
  if (!(err instanceof PusherApiError)) return false;
  const code = err.bodyCode ?? err.status ?? 0;
  return code >= 400 && code < 500;
}

import { getPreset, type Job, type JobEventName, type JobOutput, type JobStatus, type OutputFile } from '@kiln/jobs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { GatedPublisher, type BatchSink } from './gated-publisher.js';
import { JobAnnouncer } from './job-announcer.js';
import type { OutgoingEvent } from './pusher-transport.js';
import { RealtimeMetrics } from './realtime-metrics.js';

/** What Pusher (and soketi) measure against the 10 KB limit: the `data` string, in UTF-8 bytes. */
const PUSHER_LIMIT = 10_240;

class RecordingSink implements BatchSink {
  readonly events: OutgoingEvent[] = [];
  async triggerBatch(events: OutgoingEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

/** Only the customer's channel is watched unless the test says otherwise. */
function setup(occupied: (channel: string) => boolean = (c) => c.startsWith('private-customer-')) {
  const metrics = new RealtimeMetrics(new Registry());
  const sink = new RecordingSink();
  const publisher = new GatedPublisher({
    gate: { isOccupied: async (channel) => occupied(channel) },
    sink,
    metrics,
    logger: pino({ level: 'silent' }),
    progressIntervalMs: 0,
  });
  const count = async (action: string) =>
    (await metrics.oversizeEvents.get()).values.find((v) => v.labels.action === action)?.value ?? 0;
  return { announcer: new JobAnnouncer(publisher), publisher, sink, count };
}

const SECONDS = 30 * 60;
const sha = (i: number) => `sha256:${i.toString(16).padStart(64, 'f')}`;
const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** An HLS output's files as the worker lists them: every rendition (4 s segments) and the master. */
function hlsFiles(seconds: number): OutputFile[] {
  const preset = getPreset('hls');
  if (preset?.kind !== 'hls') throw new Error('no hls preset');
  const files: OutputFile[] = [{ path: 'master.m3u8', sizeBytes: 512, checksum: sha(0) }];
  preset.renditions.forEach((_, v) => {
    files.push({ path: `v${v}/index.m3u8`, sizeBytes: 40_000, checksum: sha(v + 1) });
    for (let s = 0; s < Math.ceil(seconds / preset.segmentSeconds); s++)
      files.push({ path: `v${v}/seg_${String(s).padStart(3, '0')}.ts`, sizeBytes: 2_345_678, checksum: sha(s + 100) });
  });
  return files;
}

/** A name of the longest form the schema allows (64 characters), distinct per output. */
const longName = (i: number) => `${String(i)}${'n'.repeat(63 - String(i).length)}-`.slice(0, 64);

function output(i: number, preset: string, status: JobOutput['status']): JobOutput {
  const name = longName(i);
  const kind = getPreset(preset)!.kind;
  const done = status === 'completed';
  const entry = kind === 'hls' ? '/master.m3u8' : kind === 'thumbnails' ? '/thumb-01.jpg' : '';
  return {
    name,
    preset,
    status,
    contentType: getPreset(preset)!.contentType,
    sizeBytes: done ? Number.MAX_SAFE_INTEGER : null,
    durationSeconds: done && kind !== 'thumbnails' ? 1799.9666666666667 : null,
    width: done ? 1920 : null,
    height: done ? 1080 : null,
    bitrateKbps: done && kind !== 'thumbnails' ? 123_456_789 : null,
    checksum: done && kind !== 'hls' && kind !== 'thumbnails' ? sha(i) : null,
    downloadPath: done ? `/v1/jobs/${JOB_ID}/outputs/${name}${entry}` : null,
    ...(done && kind === 'hls' ? { files: hlsFiles(SECONDS) } : {}),
    ...(done && kind === 'thumbnails'
      ? {
          files: Array.from({ length: 5 }, (_, t) => ({
            path: `thumb-${String(t + 1).padStart(2, '0')}.jpg`,
            sizeBytes: 45_678,
            checksum: sha(t),
          })),
        }
      : {}),
  };
}

/** 2 KB of metadata as JSON, the most the create schema allows, with characters JSON escapes. */
function maxMetadata(): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (let k = 0; Buffer.byteLength(JSON.stringify(metadata)) < 2048 - 80; k++)
    metadata[`key-${k}-${'k'.repeat(50)}`] = '"é\\'.repeat(4);
  return metadata;
}

/**
 * The largest job record the system can hold: a 30-minute input, 10 outputs (the schema's most)
 * with 64-character names — HLS with all renditions (the bulk), thumbnails and two MP4s — 2 KB of
 * metadata, a 2048-character input, and an error message far longer than any the worker writes.
 */
function worstCaseJob(
  status: JobStatus,
  outputStatus: (i: number) => JobOutput['status'],
  failed = status === 'failed',
): Job {
  const presets = ['hls', 'thumbnails', 'mp4-1080p', 'mp4-720p', 'hls', 'hls', 'hls', 'hls', 'hls', 'hls'];
  return {
    id: JOB_ID,
    customerId: 'c'.repeat(64),
    status,
    priority: 'normal',
    pool: 'cpu',
    input: `https://example.com/${'a'.repeat(2048 - 20)}`,
    metadata: maxMetadata(),
    progress: {
      percent: 99.94444444444444,
      fps: 23.976023976023978,
      speed: 1.2345678901234567,
      etaSeconds: 1234.5678901234567,
    },
    outputs: presets.map((p, i) => output(i, p, outputStatus(i))),
    error: failed
      ? {
          code: 'input_duration_does_not_fit_frames_and_then_some_more_words_here',
          message: `ffmpeg said: "${'\u0001é😀\\"'.repeat(4000)}"`,
        }
      : null,
    attempts: 3,
    seq: 123_456_789,
    createdAt: '2026-12-01T21:00:00.000Z',
    updatedAt: '2026-12-01T21:30:00.000Z',
    startedAt: '2026-12-01T21:00:00.123Z',
    finishedAt:
      status === 'completed' || status === 'failed' || status === 'cancelled' ? '2026-12-01T21:30:00.000Z' : null,
  };
}

/** Every event a job sends, with the biggest record it can have at that moment. */
const CASES: { event: JobEventName; job: Job }[] = [
  { event: 'job.created', job: worstCaseJob('queued', () => 'pending') },
  { event: 'job.progress', job: worstCaseJob('storing', (i) => (i < 9 ? 'completed' : 'encoding')) },
  // A retry step: back to queued with the failed attempt's error and its completed outputs.
  { event: 'job.progress', job: worstCaseJob('queued', (i) => (i < 9 ? 'completed' : 'failed'), true) },
  { event: 'job.completed', job: worstCaseJob('completed', () => 'completed') },
  { event: 'job.failed', job: worstCaseJob('failed', (i) => (i < 9 ? 'completed' : 'failed')) },
  { event: 'job.cancelled', job: worstCaseJob('cancelled', (i) => (i < 9 ? 'completed' : 'encoding')) },
];

/** Bytes of each event type's largest data string, printed once for the record. */
const largest = new Map<string, number>();

describe('JobAnnouncer', () => {
  afterAll(() => {
    process.stdout.write(
      `largest event data (bytes): ${JSON.stringify(Object.fromEntries(largest))}; full record of the completed job: ${Buffer.byteLength(JSON.stringify(CASES[3]!.job))}\n`,
    );
  });

  it.each(CASES)(
    'sends $event of the largest job a 30-minute multi-output run produces within 10 KB, as its summary',
    async ({ event, job }) => {
      const { announcer, publisher, sink, count } = setup();
      // Once outputs have files the record is far over the limit (a new job's is 7 KB).
      if (event !== 'job.created') expect(Buffer.byteLength(JSON.stringify(job))).toBeGreaterThan(10 * PUSHER_LIMIT);
      expect(await announcer.announce(job, event)).toBe('published');
      await publisher.flush();
      expect(sink.events).toHaveLength(1);
      const data = sink.events[0]!.data as string;
      expect(typeof data).toBe('string');
      expect(Buffer.byteLength(data, 'utf8')).toBeLessThanOrEqual(PUSHER_LIMIT);
      largest.set(event, Math.max(largest.get(event) ?? 0, Buffer.byteLength(data)));
      // The summary, not the fallback: every output as a list row shows it, no files.
      const sent = JSON.parse(data) as {
        id: string;
        seq: number;
        status: string;
        job: Record<string, unknown> & { outputs: Record<string, unknown>[] };
      };
      expect(sent).toMatchObject({ id: job.id, seq: job.seq, status: job.status });
      expect(sent.job.truncated).toBeUndefined();
      expect(await count('fallback')).toBe(0);
      expect(sent.job.outputs).toHaveLength(10);
      sent.job.outputs.forEach((o, i) => {
        const { files, ...rest } = job.outputs[i]!;
        expect(o).toEqual({ ...rest, ...(files ? { fileCount: files.length } : {}) });
      });
      expect(sent.job.outputs[0]!.fileCount ?? 0).toBe(event === 'job.created' ? 0 : 1 + 3 * 451);
    },
  );

  it('falls back to the minimal summary, logged and counted, for a record no schema allows', async () => {
    const { announcer, publisher, sink, count } = setup();
    const base = worstCaseJob('completed', () => 'completed');
    // 40 outputs: four times what POST /v1/jobs accepts, as an edited or legacy record could hold.
    const huge: Job = { ...base, outputs: Array.from({ length: 4 }, () => base.outputs).flat() };
    expect(await announcer.announce(huge, 'job.completed')).toBe('published');
    await publisher.flush();
    const data = sink.events[0]!.data as string;
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(PUSHER_LIMIT);
    expect(JSON.parse(data)).toMatchObject({
      id: huge.id,
      seq: huge.seq,
      status: 'completed',
      job: { id: huge.id, seq: huge.seq, status: 'completed', outputs: [], truncated: true },
    });
    expect(await count('fallback')).toBe(1);
  });

  it("sends a job's events to its job channel only while that one is watched, in order", async () => {
    const job = worstCaseJob('queued', () => 'pending');
    const { announcer, publisher, sink } = setup((c) => c === `private-job-${JOB_ID}`);
    expect(await announcer.announce(job, 'job.created')).toBe('published');
    await announcer.announce({ ...job, status: 'encoding', seq: job.seq + 1 }, 'job.progress', true);
    await announcer.announce({ ...job, status: 'completed', seq: job.seq + 2 }, 'job.completed');
    await publisher.flush();
    expect(sink.events.map((e) => [e.channel, e.name])).toEqual([
      [`private-job-${JOB_ID}`, 'job.created'],
      [`private-job-${JOB_ID}`, 'job.progress'],
      [`private-job-${JOB_ID}`, 'job.completed'],
    ]);
  });

  it('sends to both channels when both are watched, and to neither when nobody watches', async () => {
    const job = worstCaseJob('encoding', () => 'encoding');
    const both = setup(() => true);
    expect(await both.announcer.announce(job, 'job.progress', true)).toBe('published');
    await both.publisher.flush();
    expect(both.sink.events.map((e) => e.channel).sort()).toEqual([
      `private-customer-${job.customerId}`,
      `private-job-${JOB_ID}`,
    ]);
    expect(both.sink.events[0]!.data).toBe(both.sink.events[1]!.data);
    const none = setup(() => false);
    expect(await none.announcer.announce(job, 'job.completed')).toBe('gated');
    await none.publisher.flush();
    expect(none.sink.events).toEqual([]);
  });
});

import { JobRepository, JobStatsRepository, type Job, type JobOutput, type JobStatus } from '@kiln/jobs';
import { startRedis } from '@kiln/testing';
import { Redis } from 'ioredis';
import { legacyList, legacyStats } from './legacy-job-scan.js';
import { printTable, writeSection } from './results.js';

const PREFIX = 'bench';
const NOW = Date.parse('2026-06-01T12:30:00.000Z');
const LIMIT = 50;
const HOUR_MS = 3_600_000;

/** Status of the i-th job: 1% queued (a sparse filter), 4% failed, 1% cancelled, 94% completed. */
function statusOf(i: number): JobStatus {
  const r = i % 100;
  if (r === 0) return 'queued';
  if (r <= 4) return 'failed';
  if (r === 5) return 'cancelled';
  return 'completed';
}

/** `n` jobs of one customer through the repository's own create and update, pipelined; one per second up to NOW. */
async function seed(redis: Redis, customerId: string, n: number): Promise<number> {
  const started = performance.now();
  let t = NOW - n * 1000;
  const repo = new JobRepository(redis, PREFIX, () => new Date((t += 1000)));
  const CHUNK = 5_000;
  for (let from = 0; from < n; from += CHUNK) {
    const jobs: Job[] = await Promise.all(
      Array.from({ length: Math.min(CHUNK, n - from) }, () =>
        repo.create({
          customerId,
          input: 'https://media.example/in.mp4',
          outputs: [{ preset: 'mp4-720p' }],
          metadata: { title: 'bench' },
        }),
      ),
    );
    await Promise.all(
      jobs.map((job, k) => {
        const status = statusOf(from + k);
        if (status === 'queued') return undefined;
        const created = Date.parse(job.createdAt);
        const outputs: JobOutput[] = job.outputs.map((o) => ({
          ...o,
          status: status === 'completed' ? 'completed' : 'failed',
          durationSeconds: status === 'completed' ? 10 : null,
        }));
        return repo.update(job.id, {
          status,
          outputs,
          startedAt: new Date(created + 200).toISOString(),
          finishedAt: new Date(created + 5_200).toISOString(),
        });
      }),
    );
  }
  return performance.now() - started;
}

/** p50 and p99 (ms) of `runs` sequential calls, after a few warm-up calls. */
async function latency(runs: number, call: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 3; i++) await call();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => +ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(3);
  return { p50: at(0.5), p99: at(0.99) };
}

/** The new cursor `depth` jobs deep into a listing, reached by paging as a client would. */
async function cursorAt(repo: JobRepository, customerId: string, status: JobStatus, depth: number): Promise<string> {
  let cursor: string | undefined;
  for (let seen = 0; seen < depth; seen += 100) {
    const page = await repo.list(customerId, { limit: Math.min(100, depth - seen), status, cursor });
    if (!page.nextCursor) throw new Error(`listing of ${status} ended before ${depth}`);
    cursor = page.nextCursor;
  }
  return cursor!;
}

/**
 * `GET /v1/jobs?status=` and `GET /v1/stats` at 1,000 and 100,000 jobs of one customer: the
 * repository's indexed listing and counters beside the scan they replaced (legacy-job-scan.ts),
 * on the same Redis and data. Latency is the repository call as the API makes it (no HTTP).
 */
export async function runJobIndexBench(): Promise<Record<string, unknown>> {
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const repo = new JobRepository(redis, PREFIX);
    const stats = new JobStatsRepository(redis, PREFIX);
    const firstHour = Math.floor(NOW / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
    const windows = Array.from({ length: 24 }, (_, i): [number, number] => [
      firstHour + i * HOUR_MS,
      firstHour + (i + 1) * HOUR_MS,
    ]);
    const sizes = [1_000, 100_000];
    const rows: Record<string, string | number>[] = [];
    const figures: Record<string, unknown> = {
      limit: LIMIT,
      mix: '1% queued, 4% failed, 1% cancelled, 94% completed',
      sizes: {},
    };
    for (const n of sizes) {
      const customer = `c${n}`;
      const seedMs = await seed(redis, customer, n);
      const deepCompleted = Math.floor(n * 0.94 * 0.5);
      const deepFailed = Math.floor(n * 0.04 * 0.5);
      const [cCompleted, cFailed] = [
        await cursorAt(repo, customer, 'completed', deepCompleted),
        await cursorAt(repo, customer, 'failed', deepFailed),
      ];
      const slowRuns = n > 10_000 ? 30 : 200;
      const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
        [
          `first page, status=queued (1%)`,
          () => repo.list(customer, { limit: LIMIT, status: 'queued' }),
          () => legacyList(redis, PREFIX, customer, { limit: LIMIT, status: 'queued' }),
        ],
        [
          `deep page, status=completed (job ${deepCompleted})`,
          () => repo.list(customer, { limit: LIMIT, status: 'completed', cursor: cCompleted }),
          () => legacyList(redis, PREFIX, customer, { limit: LIMIT, status: 'completed', offset: Math.floor(n / 2) }),
        ],
        [
          `deep page, status=failed (job ${deepFailed})`,
          () => repo.list(customer, { limit: LIMIT, status: 'failed', cursor: cFailed }),
          () => legacyList(redis, PREFIX, customer, { limit: LIMIT, status: 'failed', offset: Math.floor(n / 2) }),
        ],
        ['stats', () => stats.counters(customer, windows), () => legacyStats(redis, PREFIX, customer, NOW)],
      ];
      const measured: Record<string, unknown> = { seedSeconds: +(seedMs / 1000).toFixed(1) };
      for (const [name, indexed, scan] of cases) {
        const now = await latency(200, indexed);
        const before = await latency(slowRuns, scan);
        measured[name] = { indexed: now, scan: before };
        rows.push({
          jobs: n,
          call: name,
          'indexed p50': now.p50,
          'indexed p99': now.p99,
          'scan p50': before.p50,
          'scan p99': before.p99,
        });
      }
      const counted = await stats.counters(customer, windows);
      const old = await legacyStats(redis, PREFIX, customer, NOW);
      measured.statsCorrect = {
        indexedCompleted: counted.counts.completed,
        scanCompleted: old.counts.completed ?? 0,
        scanTruncated: old.truncated,
      };
      (figures.sizes as Record<string, unknown>)[String(n)] = measured;
    }
    printTable('jobs: list and stats latency, ms (indexed = this version, scan = the previous one)', rows);
    await writeSection('jobIndex', figures);
    return figures;
  } finally {
    await redis.quit();
    await server.stop();
  }
}

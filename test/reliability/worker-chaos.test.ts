import { existsSync } from 'node:fs';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bullPrefix, ENCODE_QUEUE, type Job } from '@kiln/jobs';
import { Redis } from 'ioredis';
import { makeClip, waitFor, type AppHandle } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAllJobs, waitForFinalJobs } from '../support/job-listing.js';
import { isFfmpeg, killHard, listProcesses, tempOutputOf, type ProcessRow } from '../support/process-tree.js';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const JOBS = 300;
const KILLS = 8;
const KILL_EVERY_MS = 3000;
/**
 * The worker's `maxStalledCount`: a job whose worker dies a third time is failed for good
 * (`worker_lost`, the next test). BullMQ puts a stalled job at the head of the queue, so the
 * chaos would otherwise often catch the same job again: a victim holds no job that stalled this often.
 */
const STALLS_SURVIVED = 2;

describe('worker chaos: SIGKILLed workers lose no job and finish none twice', () => {
  let stack: TestStack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 3,
      env: {
        KILN_WORKER_CONCURRENCY: '2',
        KILN_WORKER_STALLED_S: '2',
        KILN_SHUTDOWN_GRACE_S: '1',
        KILN_PROGRESS_INTERVAL_MS: '1000',
        KILN_RATE_LIMIT_PER_MIN: '0',
        KILN_LOG_LEVEL: 'info',
      },
    });
    redis = new Redis(stack.redisUrl);
  });
  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  /**
   * For each worker process running an encode: how often BullMQ has already counted each
   * job it holds as stalled (its `stc`). A worker's lock tokens are `<BullMQ worker id>:<n>`, so
   * the jobs an encoding ffmpeg reveals (its job folder) name the process's worker id, and that id
   * finds the rest of what it holds, also jobs still probing.
   */
  async function stallsOfHeldJobs(encodes: ProcessRow[]): Promise<Map<number, number[]>> {
    const bull = `${bullPrefix(stack.prefix)}:${ENCODE_QUEUE}`;
    const active = await redis.lrange(`${bull}:active`, 0, -1);
    if (active.length === 0) return new Map();
    const locks = await redis.mget(active.map((id) => `${bull}:${id}:lock`));
    const stc = await Promise.all(active.map((id) => redis.hget(`${bull}:${id}`, 'stc')));
    const ownerOf = new Map(active.map((id, i) => [id, locks[i]?.split(':')[0]]));
    const held = new Map<number, number[]>();
    for (const p of encodes) {
      const owner = ownerOf.get(path.basename(path.dirname(path.dirname(tempOutputOf(p)!))));
      if (owner === undefined) continue;
      held.set(
        p.ppid,
        active.flatMap((id, i) => (ownerOf.get(id) === owner ? [Number(stc[i] ?? 0)] : [])),
      );
    }
    return held;
  }

  it(`completes ${JOBS} jobs exactly once while a worker is SIGKILLed every ~3 s`, { timeout: 480_000 }, async () => {
    const acme = stack.customers[0]!;
    const api = apiClient(stack.apiUrl, acme.key);
    const clip = path.join(stack.inputRoot, 'tiny.mp4');
    await copyFile(await makeClip({ seconds: 1, width: 160, height: 120, audio: false }), clip);
    const input = pathToFileURL(clip).href;

    // A watcher on the customer channel for the whole run; the gate is open once `sync` arrives.
    const watcher = await connectCustomerClient(stack.apiUrl, acme.key);
    try {
      await watcher.subscribed;
      await waitFor(() => watcher.events.some((e) => e.name === 'sync'), {
        timeoutMs: 10_000,
        message: 'sync (gate open)',
      });

      const ids: string[] = [];
      for (let i = 0; i < JOBS; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, JOBS - i) }, () =>
            api<Job>('POST', '/v1/jobs', { input, outputs: [{ preset: 'mp4-360p' }] }),
          ),
        );
        for (const res of batch) {
          expect(res.status, JSON.stringify(res.body)).toBe(202);
          ids.push(res.body.id);
        }
      }

      // Chaos: SIGKILL a random worker caught mid-encode (and its ffmpeg), start a replacement.
      // A tiny clip's ffmpeg spends most of its life starting up: the victim is picked among
      // workers whose ffmpeg has already created its output file, as a long encode would have.
      let kills = 0;
      let encodesInterrupted = 0;
      const random = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;
      const workers = () =>
        Object.entries(stack.apps)
          .filter(([name, app]) => name.startsWith('worker') && app.child.alive)
          .map(([, app]) => app);
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS * (0.7 + Math.random() * 0.6)));
        let victim: AppHandle | undefined;
        let safe: (w: AppHandle) => boolean = () => true;
        for (const deadline = Date.now() + 2000; !victim && Date.now() < deadline;) {
          const rows = await listProcesses();
          const encodes = rows.filter((p) => isFfmpeg(p) && tempOutputOf(p) !== undefined);
          const stalls = await stallsOfHeldJobs(encodes);
          safe = (w) => (stalls.get(w.child.pid!) ?? []).every((n) => n < STALLS_SURVIVED);
          const writing = encodes.filter((p) => existsSync(tempOutputOf(p)!));
          const busy = workers().filter((w) => safe(w) && writing.some((p) => p.ppid === w.child.pid));
          if (busy.length > 0) victim = random(busy);
          else await new Promise((r) => setTimeout(r, 25));
        }
        // Nobody is mid-encode (the queue is draining): any worker not known to hold a job at its limit.
        const candidates = workers().filter(safe);
        victim ??= random(candidates.length > 0 ? candidates : workers());
        encodesInterrupted += (await killHard(victim.child.pid!)).filter(isFfmpeg).length;
        kills++;
        await victim.child.exited;
        await stack.addWorker();
      }
      // The chaos must have hit running encodes, else this test proved nothing.
      expect(encodesInterrupted, 'ffmpeg processes killed mid-encode').toBeGreaterThanOrEqual(3);

      // Generous: 300 jobs take 40-140 s on 2 cores, depending on how fast the machine is that day.
      const final = await waitForFinalJobs(stack.apiUrl, acme.key, ids, { timeoutMs: 420_000 });

      // None lost: GET /v1/jobs, page by page, lists exactly the submitted jobs, all completed.
      const listed = await listAllJobs(stack.apiUrl, acme.key);
      expect(listed.map((j) => j.id).sort()).toEqual([...ids].sort());
      const notCompleted = ids.map((id) => final.get(id)!).filter((j) => j.status !== 'completed');
      expect(notCompleted.map((j) => ({ id: j.id, status: j.status, attempts: j.attempts, error: j.error }))).toEqual(
        [],
      );

      // Completed once on disk: exactly the output, no half-written temp left by a killed encode.
      const badDirs: { id: string; files: string[] }[] = [];
      for (const id of ids) {
        const files = await readdir(path.join(stack.storageDir, acme.id, id));
        if (files.length !== 1 || files[0] !== 'mp4-360p.mp4') badDirs.push({ id, files });
      }
      expect.soft(badDirs, 'job dirs holding anything but mp4-360p.mp4').toEqual([]);

      // Completed once on the channel: every job's completion reaches the watcher, and only one
      // completion exists per job. A worker that dies after storing "completed" but before its
      // event left has the job handed back, and the next worker announces the stored state
      // again: delivery is at-least-once, so a repeat must be the same stored state (same seq).
      const completedEvents = () => watcher.events.filter((e) => e.name === 'job.completed');
      await waitFor(() => new Set(completedEvents().map((e) => e.data.id)).size >= JOBS, {
        timeoutMs: 15_000,
        message: 'a job.completed for every job',
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000)); // late repeats would arrive now
      const seqs = new Map<string, number[]>();
      for (const e of completedEvents())
        seqs.set(String(e.data.id), [...(seqs.get(String(e.data.id)) ?? []), Number(e.data.seq)]);
      // A miss names what happened to the event: sent to Pusher or not, and which worker stored the completion.
      type Sent = { name?: string; data?: string; batch?: { name: string; data: string }[] } | undefined;
      const eventsOf = (body: Sent) => body?.batch ?? (body?.name ? [{ name: body.name, data: body.data ?? '' }] : []);
      const sentToPusher = (id: string) =>
        stack.recorder.requests
          .filter((r) => eventsOf(r.body as Sent).some((e) => e.name === 'job.completed' && e.data.includes(id)))
          .map((r) => `${new Date(r.at).toISOString()} ${r.path} -> ${r.status} ${r.responseBody.slice(0, 80)}`);
      const completedBy = (id: string) =>
        Object.entries(stack.apps)
          .filter(([, app]) =>
            app
              .logs()
              .split('\n')
              .some((l) => l.includes(`"jobId":"${id}"`) && l.includes('"msg":"job completed"')),
          )
          .map(([name, app]) => `${name}${app.child.alive ? '' : ' (SIGKILLed)'}`);
      const wrong = ids.filter((id) => {
        const seen = seqs.get(id) ?? [];
        return seen.length === 0 || seen.some((seq) => seq !== final.get(id)!.seq);
      });
      expect
        .soft(
          wrong.map((id) => ({
            id,
            finalSeq: final.get(id)!.seq,
            completedSeqs: seqs.get(id) ?? [],
            sentToPusher: sentToPusher(id),
            completedBy: completedBy(id),
          })),
        )
        .toEqual([]);
    } finally {
      watcher.disconnect();
    }
  });

  it(
    'ends a job whose worker dies three times in a final state, never leaves it running forever',
    { timeout: 120_000 },
    async () => {
      const acme = stack.customers[0]!;
      const api = apiClient(stack.apiUrl, acme.key);
      const clip = path.join(stack.inputRoot, 'longer.mp4');
      await copyFile(await makeClip({ seconds: 8, width: 640, height: 480, audio: false }), clip);
      const id = (
        await api<Job>('POST', '/v1/jobs', { input: pathToFileURL(clip).href, outputs: [{ preset: 'mp4-480p' }] })
      ).body.id;
      for (let death = 1; death <= 3; death++) {
        // Whichever worker runs it now: the parent of the ffmpeg whose command line names the job.
        let runner: number | undefined;
        await waitFor(
          async () => {
            runner = (await listProcesses()).find((p) => isFfmpeg(p) && p.args.includes(id))?.ppid;
            return runner !== undefined;
          },
          { timeoutMs: 30_000, intervalMs: 50, message: `the job's ffmpeg to start (run ${death})` },
        );
        const victim = Object.values(stack.apps).find((app) => app.child.pid === runner)!;
        expect(victim, 'a worker of this stack runs the job').toBeDefined();
        await killHard(runner!);
        await victim.child.exited;
        await stack.addWorker();
      }
      // Completed (picked up again) or failed (gave up) are both fine; "encoding" forever is not.
      const job = (await waitForFinalJobs(stack.apiUrl, acme.key, [id], { timeoutMs: 30_000 })).get(id)!;
      expect(['completed', 'failed']).toContain(job.status);
    },
  );
});

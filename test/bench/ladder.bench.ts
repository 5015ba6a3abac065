import { spawn } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getPreset, type Job } from '@kiln/jobs';
import { buildOneDecodeArgs, probe } from '@kiln/media';
import { makeClip, waitFor } from '@kiln/testing';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack } from '../support/stack-harness.js';

/** The usual MP4 ladder: what issue 14 measured four ffmpeg processes against one. */
export const LADDER = ['mp4-1080p', 'mp4-720p', 'mp4-480p', 'mp4-360p'];
const ROUNDS = 3;

/** What the ladder runs took, best of {@link ROUNDS} each. */
export interface LadderFigures {
  clip: string;
  /** One ffmpeg writing the four outputs from one decode, run directly: the floor. */
  floorSeconds: number;
  /** Kiln with one decode per job (KILN_ONE_DECODE=true): API request to `job.completed`. */
  kilnSeconds: number;
  /** Kiln as before (KILN_ONE_DECODE=false): one ffmpeg per output, one after another. */
  kilnBeforeSeconds: number;
  ladderVsFloor: number;
  beforeVsFloor: number;
  runs: { floor: number[]; kiln: number[]; kilnBefore: number[] };
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`)),
    );
  });
}

/**
 * The one-decode ladder: a 10 s 1080p clip to the four MP4 rungs in one job, (a) one ffmpeg run
 * directly with the arguments a worker builds (the floor), (b) through Kiln with one decode per
 * job, (c) through Kiln encoding each output with its own ffmpeg (the wave-1 path), each Kiln on
 * a stack of its own. The three take turns, best of 3 each, so all see the same machine.
 */
export async function runLadderBench(work: string): Promise<LadderFigures> {
  const cores = availableParallelism();
  const clip = await makeClip({ seconds: 10, width: 1920, height: 1080, audio: true });
  const media = await probe(clip);
  // Two stacks, one worker each, both up for the whole run: every timed job finds its worker
  // warm and already in the fleet (a worker started per job would add its start to the time).
  const kiln = await ladderStack(clip, true);
  const before = await ladderStack(clip, false);
  const runs = { floor: [] as number[], kiln: [] as number[], kilnBefore: [] as number[] };
  try {
    // One untimed job each: the first encode of a process loads ffmpeg's libraries from disk.
    await kiln.encode();
    await before.encode();
    for (let i = 0; i < ROUNDS; i++) {
      const dir = path.join(work, `ladder-${i}`);
      await mkdir(dir, { recursive: true });
      const outputs = LADDER.map((id) => ({ preset: getPreset(id)!, output: path.join(dir, `${id}.mp4`) }));
      const t0 = performance.now();
      await ffmpeg(buildOneDecodeArgs({ input: clip, media, threads: cores, outputs }));
      runs.floor.push((performance.now() - t0) / 1000);
      runs.kiln.push(await kiln.encode());
      runs.kilnBefore.push(await before.encode());
    }
  } finally {
    await kiln.stop();
    await before.stop();
  }
  const best = (xs: number[]) => Math.min(...xs);
  const round = (xs: number[]) => xs.map((x) => +x.toFixed(3));
  const floorSeconds = best(runs.floor);
  return {
    clip: `10 s 1920x1080 → ${LADDER.join(' + ')} in one job, best of ${ROUNDS}`,
    floorSeconds: +floorSeconds.toFixed(3),
    kilnSeconds: +best(runs.kiln).toFixed(3),
    kilnBeforeSeconds: +best(runs.kilnBefore).toFixed(3),
    ladderVsFloor: +(best(runs.kiln) / floorSeconds).toFixed(3),
    beforeVsFloor: +(best(runs.kilnBefore) / floorSeconds).toFixed(3),
    runs: { floor: round(runs.floor), kiln: round(runs.kiln), kilnBefore: round(runs.kilnBefore) },
  };
}

/** A stack with one worker (concurrency 1: every core for its ffmpeg, as the floor has) that encodes the ladder job on request. */
async function ladderStack(
  clip: string,
  oneDecode: boolean,
): Promise<{ encode(): Promise<number>; stop(): Promise<void> }> {
  const stack = await startTestStack({
    customers: ['bench'],
    workers: 1,
    env: {
      KILN_LOG_LEVEL: 'warn',
      KILN_WORKER_CONCURRENCY: '1',
      KILN_WORKER_PREFETCH: '0',
      KILN_ONE_DECODE: String(oneDecode),
    },
  });
  const input = path.join(stack.inputRoot, 'ladder.mp4');
  await copyFile(clip, input);
  const key = stack.customers[0]!.key;
  const client = await connectCustomerClient(stack.apiUrl, key);
  await client.subscribed;
  const api = apiClient(stack.apiUrl, key);
  return {
    /** Seconds from the API request to the `job.completed` event on a watching client. */
    async encode() {
      const t0 = performance.now();
      const res = await api<Job>('POST', '/v1/jobs', {
        input: pathToFileURL(input).href,
        outputs: LADDER.map((preset) => ({ preset })),
      });
      if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
      const id = res.body.id;
      await waitFor(
        () => {
          if (client.events.some((e) => e.name === 'job.failed' && e.data.id === id))
            throw new Error(`ladder job ${id} failed`);
          return client.events.some((e) => e.name === 'job.completed' && e.data.id === id);
        },
        { timeoutMs: 600_000, intervalMs: 5, message: 'job.completed' },
      );
      return (performance.now() - t0) / 1000;
    },
    async stop() {
      client.disconnect();
      await stack.stop();
    },
  };
}

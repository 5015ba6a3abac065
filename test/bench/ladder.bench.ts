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
 * job, (c) through Kiln encoding each output with its own ffmpeg (the wave-1 path). One worker
 * of concurrency 1 (every core for its ffmpeg, as the floor has); the three take turns, best of
 * 3 each, so all see the same machine.
 */
export async function runLadderBench(work: string): Promise<LadderFigures> {
  const cores = availableParallelism();
  const clip = await makeClip({ seconds: 10, width: 1920, height: 1080, audio: true });
  const media = await probe(clip);
  const stack = await startTestStack({
    customers: ['bench'],
    workers: 0,
    env: { KILN_LOG_LEVEL: 'warn', KILN_WORKER_CONCURRENCY: '1', KILN_WORKER_PREFETCH: '0' },
  });
  const runs = { floor: [] as number[], kiln: [] as number[], kilnBefore: [] as number[] };
  try {
    const input = path.join(stack.inputRoot, 'ladder.mp4');
    await copyFile(clip, input);
    const key = stack.customers[0]!.key;
    const client = await connectCustomerClient(stack.apiUrl, key);
    await client.subscribed;
    const api = apiClient(stack.apiUrl, key);
    const throughKiln = async (oneDecode: boolean): Promise<number> => {
      const worker = await stack.addWorker({ KILN_ONE_DECODE: String(oneDecode) });
      try {
        const t0 = performance.now();
        const res = await api<Job>('POST', '/v1/jobs', {
          input: pathToFileURL(input).href,
          outputs: LADDER.map((preset) => ({ preset })),
        });
        if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
        const id = res.body.id;
        await waitFor(
          () => {
            const failed = client.events.find((e) => e.name === 'job.failed' && e.data.id === id);
            if (failed) throw new Error(`ladder job ${id} failed`);
            return client.events.some((e) => e.name === 'job.completed' && e.data.id === id);
          },
          { timeoutMs: 600_000, intervalMs: 5, message: 'job.completed' },
        );
        return (performance.now() - t0) / 1000;
      } finally {
        await worker.app.stop();
      }
    };
    for (let i = 0; i < ROUNDS; i++) {
      const dir = path.join(work, `ladder-${i}`);
      await mkdir(dir, { recursive: true });
      const outputs = LADDER.map((id) => ({ preset: getPreset(id)!, output: path.join(dir, `${id}.mp4`) }));
      const t0 = performance.now();
      await ffmpeg(buildOneDecodeArgs({ input: clip, media, threads: cores, outputs }));
      runs.floor.push((performance.now() - t0) / 1000);
      runs.kiln.push(await throughKiln(true));
      runs.kilnBefore.push(await throughKiln(false));
    }
    client.disconnect();
  } finally {
    await stack.stop();
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

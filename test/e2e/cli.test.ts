import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { channelsOf, makeClip, makeCorruptFile, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `kiln` binary as a child process, its stdout a pipe (so: plain progress lines). */
function kiln(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kiln CLI against the whole stack', () => {
  let stack: TestStack;
  let redis: Redis;
  let clipPath: string;
  let clipUrl: string;
  let corruptUrl: string;
  const channel = 'private-customer-acme';
  const occupied = async () => (await redis.sismember(`${stack.prefix}:occupancy:channels`, channel)) === 1;
  const env = () => ({ KILN_API_URL: stack.apiUrl, KILN_API_KEY: stack.customers[0]!.key });
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);
  const ids: { completed?: string; failed?: string } = {};

  beforeAll(async () => {
    stack = await startTestStack({ customers: ['acme'] });
    redis = new Redis(stack.redisUrl);
    clipPath = await makeClip({ seconds: 2, width: 320, height: 240, audio: true });
    const clip = path.join(stack.inputRoot, 'clip.mp4');
    await copyFile(clipPath, clip);
    clipUrl = pathToFileURL(clip).href;
    const corrupt = path.join(stack.inputRoot, 'corrupt.mp4');
    await copyFile(await makeCorruptFile(), corrupt);
    corruptUrl = pathToFileURL(corrupt).href;
  });

  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  /** Runs the CLI while sampling the occupancy set, so a test can tell whether its watch opened the gate. */
  async function kilnWatching(
    args: string[],
    opts: { cwd?: string } = {},
  ): Promise<CliRun & { sawOccupied: boolean; publishedToChannel: number }> {
    await waitFor(async () => !(await occupied()), {
      timeoutMs: 5000,
      message: 'nobody to watch the channel before the run',
    });
    stack.recorder.reset();
    let sawOccupied = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (await occupied()) sawOccupied = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const run = await kiln(args, env(), opts);
    sampling = false;
    await sampler;
    const publishedToChannel = stack.recorder.requests.filter((r) => channelsOf(r).includes(channel)).length;
    return { ...run, sawOccupied, publishedToChannel };
  }

  it('submit --watch prints progress and the outputs, exits 0, and its subscription opened the gate', async () => {
    const run = await kilnWatching(['submit', clipUrl, '--preset', 'mp4-360p', '--watch']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = /^Job (\S+) queued \(mp4-360p\)$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    ids.completed = id;

    // Not a terminal: plain lines, no cursor movement or colors.
    expect(run.stdout).not.toContain('\u001b[');
    expect(run.stdout).toMatch(/^encoding \d+% \| .+ fps \| .+x \| ETA /m);
    const summary = new RegExp(`^Job ${id} completed in [\\d.]+s \\((\\d+) live events?\\)$`, 'm').exec(run.stdout);
    expect(summary).not.toBeNull();

    // The gate opened because the CLI watched: the channel was in the occupancy set, the workers
    // published to it, and the CLI printed the events it received (at least a progress and the completion).
    expect(run.sawOccupied).toBe(true);
    expect(run.publishedToChannel).toBeGreaterThan(0);
    expect(Number(summary![1])).toBeGreaterThanOrEqual(2);
    // And it closed when the CLI exited.
    await waitFor(async () => !(await occupied()), {
      timeoutMs: 5000,
      message: 'the channel to be vacated after the CLI exited',
    });

    const job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
    expect(job.status).toBe('completed');
    const output = job.outputs[0]!;
    const downloadUrl = `${stack.apiUrl}${output.downloadPath}`;
    expect(run.stdout).toMatch(
      new RegExp(
        `^\\s+mp4-360p\\s+completed\\s+\\d[\\d.]* [kM]?B\\s+${output.width}x${output.height} \\S+\\s+${downloadUrl.replace(/[.?]/g, '\\$&')}$`,
        'm',
      ),
    );
    const download = await fetch(downloadUrl, { headers: { authorization: `Bearer ${stack.customers[0]!.key}` } });
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(output.sizeBytes);
  });

  it('submit --watch of a corrupt input exits 1 with the reason', async () => {
    const run = await kilnWatching(['submit', corruptUrl, '--preset', 'mp4-360p', '--watch']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Job \S+ failed: .*not a readable media file/m);
    ids.failed = /^Job (\S+) failed/m.exec(run.stderr)?.[1];
    expect((await api()<Job>('GET', `/v1/jobs/${ids.failed}`)).body.status).toBe('failed');
  });

  it('jobs --json lists both jobs with their final status; jobs prints them as a table', async () => {
    const run = await kiln(['jobs', '--json'], env());
    expect(run.code).toBe(0);
    const page = JSON.parse(run.stdout) as { data: Job[] };
    const byId = new Map(page.data.map((j) => [j.id, j]));
    expect(byId.get(ids.completed!)?.status).toBe('completed');
    expect(byId.get(ids.failed!)?.status).toBe('failed');

    const failedOnly = JSON.parse((await kiln(['jobs', '--json', '--status', 'failed'], env())).stdout) as {
      data: Job[];
    };
    expect(failedOnly.data.map((j) => j.id)).toEqual([ids.failed]);

    const table = await kiln(['jobs', '--limit', '10'], env());
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`^${ids.completed}\\s+completed\\s+100%\\s+\\S+ \\S+\\s+mp4-360p \\(`, 'm'),
    );
  });

  it('cancel on a finished job exits 1 with the 409 message', async () => {
    const direct = await api()<{ error: { message: string } }>('POST', `/v1/jobs/${ids.completed}/cancel`);
    expect(direct.status).toBe(409);
    const run = await kiln(['cancel', ids.completed!], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(direct.body.error.message);
    expect(run.stderr).toContain('HTTP 409');
    expect(run.stdout).toBe('');
  });

  it('priority on a finished job exits 1 with the 409 message, having changed nothing', async () => {
    const before = (await api()<Job>('GET', `/v1/jobs/${ids.completed}`)).body;
    const run = await kiln(['priority', ids.completed!, 'high'], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HTTP 409');
    expect(run.stderr).toContain("only a queued job's priority can change");
    expect(run.stdout).toBe('');
    const after = (await api()<Job>('GET', `/v1/jobs/${ids.completed}`)).body;
    expect(after).toMatchObject({ priority: before.priority, seq: before.seq });
  });

  it('submit of a local file uploads it and encodes the upload', async () => {
    const run = await kilnWatching(['--json', 'submit', path.basename(clipPath), '--preset', 'mp4-360p', '--watch'], {
      cwd: path.dirname(clipPath),
    });
    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout) as Job;
    expect(job.input).toMatch(/^upload:\/\//);
    expect(job.status).toBe('completed');
    expect(job.outputs[0]).toMatchObject({ status: 'completed', height: 240 });
  });

  it('delete removes a finished job (--json says so), and a second delete exits 1 with the 404', async () => {
    const run = await kiln(['--json', 'delete', ids.failed!], env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ id: ids.failed, deleted: true });
    expect((await api()('GET', `/v1/jobs/${ids.failed}`)).status).toBe(404);
    const again = await kiln(['delete', ids.failed!], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('HTTP 404');
  });

  it('refuses to run without a key, naming --key and KILN_API_KEY (exit 2)', async () => {
    const run = await kiln(['jobs'], { KILN_API_URL: stack.apiUrl });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--key.*KILN_API_KEY/);
  });
});

import { PRESETS, type Mp4Preset } from '@kiln/jobs';
import { ffprobeJson, makeClip, makeGapClip, makePng } from '@kiln/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegMediaAdapter } from './ffmpeg-media.adapter.js';
import { alive, ffmpegWriting, pidsMentioning } from './ffmpeg-process.test-helper.js';
import { startEarlyTranscode, transcode } from './ffmpeg-transcode.adapter.js';
import { probe } from './ffprobe.adapter.js';
import { MediaSandbox } from './media-sandbox.js';
import { MediaFrameTooLargeError, TranscodeBudgetExceededError } from './media.errors.js';

const p360 = PRESETS.get('mp4-360p') as Mp4Preset;
const SECRETS = {
  PUSHER_SECRET: 'pusher-secret-0123456789',
  KILN_S3_SECRET_ACCESS_KEY: 's3-secret-0123456789',
  KILN_API_KEYS: 'acme:key-0123456789abcdef',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-0123456789',
};

let dir: string;
let clip: string;
let short: string;

function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Soft limits from /proc/<pid>/limits, by the kernel's name (`Max address space`, ...). */
function limitsOf(pid: number): Record<string, string> {
  const limits: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/limits`, 'latin1').split('\n').slice(1)) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)/.exec(line);
    if (m) limits[m[1]!] = m[2]!;
  }
  return limits;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-sandbox-'));
  [clip, short] = await Promise.all([
    // Long enough that its encode is still running while the test reads /proc.
    makeClip({ seconds: 20, width: 1280, height: 720, audio: false }),
    makeClip({ seconds: 4, width: 640, height: 360, audio: false }),
  ]);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('MediaSandbox', () => {
  describe('a plain encode started by a worker with secrets in its environment', () => {
    let worker: ChildProcess;
    let ffmpeg: number;
    const out = () => join(dir, 'sandboxed.mp4');

    beforeAll(async () => {
      // A stand-in worker: the built package, configured as main.ts configures it, encoding after its probe.
      const dist = new URL('../dist/index.js', import.meta.url).href;
      const script = `const { FfmpegMediaAdapter } = await import(${JSON.stringify(dist)}); const { PRESETS } = await import('@kiln/jobs');
        const media = new FfmpegMediaAdapter({ budget: { factor: 10, floorSeconds: 300 }, sandbox: { maxMemoryMb: 3000 } });
        const input = ${JSON.stringify(clip)};
        const info = await media.probe(input);
        media.transcode({ input, output: ${JSON.stringify(out())}, preset: PRESETS.get('mp4-720p'), media: info, threads: 1 }).catch(() => {});
        console.log('started'); setInterval(() => {}, 1000);`;
      worker = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...SECRETS },
      });
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
        worker.on('exit', (code) => reject(new Error(`stand-in worker exited ${code}`)));
      });
      ffmpeg = await ffmpegWriting(out());
    }, 30_000);

    afterAll(() => {
      killQuietly(worker.pid!);
      killQuietly(ffmpeg);
    });

    it('gives ffmpeg PATH and nothing secret in /proc/<pid>/environ', () => {
      const env = environOf(ffmpeg);
      expect(Object.keys(env).length).toBeGreaterThan(0);
      expect(env['PATH']).toBe(process.env['PATH']);
      const raw = readFileSync(`/proc/${ffmpeg}/environ`, 'latin1');
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(raw).not.toContain(secret);
        expect(env).not.toHaveProperty(name);
      }
      // The worker itself does have them: the sandbox, not the test, keeps them out.
      expect(readFileSync(`/proc/${worker.pid}/environ`, 'latin1')).toContain(SECRETS.PUSHER_SECRET);
    });

    it('runs ffmpeg under memory, file-size and CPU-time limits, at a lower priority than the worker', () => {
      const limits = limitsOf(ffmpeg);
      expect(limits['Max address space']).toBe(String(3000 * 1024 * 1024));
      // 720p: (3500 + 128) kbit/s × 20 s × 2 + 256 MiB.
      expect(Number(limits['Max file size'])).toBe(Math.ceil(2 * ((3628 * 1000) / 8) * 20) + 256 * 1024 * 1024);
      // Budget 10 × 20 s + 300 s = 500 s, on every core.
      expect(Number(limits['Max cpu time'])).toBeGreaterThanOrEqual(500);
      expect(Number(limits['Max cpu time'])).toBeLessThan(500 * 256);
      expect(getPriority(ffmpeg)).toBeGreaterThan(getPriority(worker.pid!));
    });

    it('dies with its worker: a SIGKILLed worker leaves no plain ffmpeg running', async () => {
      expect(alive(ffmpeg)).toBe(true);
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      for (let i = 0; i < 200 && alive(ffmpeg); i++) await new Promise((r) => setTimeout(r, 25));
      expect(alive(ffmpeg)).toBe(false);
    });
  });

  it('runs the tool without a wrapper that is missing here, still with the minimal environment', async () => {
    const missing = join(dir, 'missing');
    const bare = new MediaSandbox({
      env: { PATH: process.env['PATH']!, LANG: 'C.UTF-8' },
      setprivPath: `${missing}/setpriv`,
      prlimitPath: `${missing}/prlimit`,
      nicePath: `${missing}/nice`,
    });
    expect(await bare.wrappers()).toEqual({ setpriv: null, prlimit: null, nice: null });
    expect(bare.command(await bare.wrappers(), 'ffmpeg', ['-version'], { cpuSeconds: 5 })).toEqual([
      'ffmpeg',
      '-version',
    ]);
    const out = join(dir, 'bare.mp4');
    const encoding = transcode({
      input: short,
      output: out,
      preset: p360,
      media: await probe(short),
      sandbox: bare,
      threads: 1,
    });
    const pid = await ffmpegWriting(out);
    expect(environOf(pid)).toEqual({ PATH: process.env['PATH'], LANG: 'C.UTF-8' });
    const result = await encoding;
    expect(result.durationSeconds).toBeCloseTo(4, 0);
    // Without setpriv nothing could end an ffmpeg waiting on its FIFO: no early start then.
    expect(
      await startEarlyTranscode({ input: clip, output: join(dir, 'bare-early.mp4'), preset: p360, sandbox: bare }),
    ).toBeNull();
  }, 60_000);

  it('keeps the limits when only setpriv is missing', async () => {
    const noSetpriv = new MediaSandbox({ setprivPath: join(dir, 'missing-setpriv'), maxMemoryMb: 2500 });
    const out = join(dir, 'no-setpriv.mp4');
    const encoding = transcode({
      input: short,
      output: out,
      preset: p360,
      media: await probe(short),
      sandbox: noSetpriv,
      threads: 1,
    });
    const pid = await ffmpegWriting(out);
    expect(limitsOf(pid)['Max address space']).toBe(String(2500 * 1024 * 1024));
    expect(getPriority(pid)).toBeGreaterThan(getPriority(process.pid));
    await encoding;
  }, 60_000);
});

describe('work budgets and frame limits', () => {
  it('kills an encode past its wall-clock budget and rejects with encode_budget_exceeded, not retryable', async () => {
    const media = new FfmpegMediaAdapter({ budget: { factor: 0.01, floorSeconds: 0 } });
    const out = join(dir, 'over-budget.mp4');
    const t0 = performance.now();
    const err = await media
      .transcode({ input: clip, output: out, preset: PRESETS.get('mp4-720p')!, media: await probe(clip), threads: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscodeBudgetExceededError);
    expect(err).toMatchObject({ code: 'encode_budget_exceeded', retryable: false });
    expect((err as Error).message).toMatch(/longer than its budget of 0\.2 s/);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(pidsMentioning(out)).toEqual([]);
  }, 30_000);

  it('ffprobe refuses frames over max_pixels with their size (an 8192x8192 PNG)', async () => {
    const png = await makePng({ width: 8192, height: 8192 });
    const err = await probe(png, { maxPixels: 8192 * 4320 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaFrameTooLargeError);
    expect(err).toMatchObject({ code: 'input_resolution_too_large', width: 8192, height: 8192 });
    // Without the limit it reads the size (by decoding the whole picture).
    expect((await probe(png)).video).toMatchObject({ width: 8192, height: 8192 });
  }, 30_000);

  it('encodes 720 frames whose timestamps jump 100 s every other frame in seconds, not hours of duplicates', async () => {
    const gap = await makeGapClip(100);
    const info = await probe(gap);
    expect(info.durationSeconds).toBeGreaterThan(35_000);
    const out = join(dir, 'gap-360.mp4');
    const t0 = performance.now();
    // Its budget (10 × 10 h) would never stop it: only keeping the input's timestamps does.
    await transcode({ input: gap, output: out, preset: p360, media: info, budgetMs: 50_000 });
    expect(performance.now() - t0).toBeLessThan(50_000);
    const frames = (await ffprobeJson(out)).streams.find((s) => s.codec_type === 'video')?.nb_frames;
    expect(Number(frames)).toBe(720);
  }, 90_000);
});

import { execFile } from 'node:child_process';
import { copyFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor, ffprobeJson } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCustomerClient } from '../support/pusher-client.js';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

const run = promisify(execFile);

/** PIDs of ffmpeg processes whose command line mentions `needle` (a job id is in every output path). */
async function ffmpegsFor(needle: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes('ffmpeg') && l.includes(needle))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('encoding on real workers', () => {
  let stack: TestStack;
  let url: (name: string) => string;
  const api = () => apiClient(stack.apiUrl, stack.customers[0]!.key);

  async function finish(id: string, timeoutMs = 90_000): Promise<Job> {
    let job: Job | undefined;
    await waitFor(
      async () => {
        job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs, intervalMs: 100, message: `job ${id} to finish` },
    );
    return job!;
  }

  beforeAll(async () => {
    stack = await startTestStack({
      customers: ['acme'],
      workers: 2,
      env: { KILN_WORKER_STALLED_S: '3', KILN_SHUTDOWN_GRACE_S: '1', KILN_LOG_LEVEL: 'info' },
    });
    const clips = {
      'hd.mp4': await makeClip({ seconds: 2, width: 1280, height: 720, audio: true }),
      'long.mp4': await makeClip({ seconds: 12, width: 1280, height: 720, audio: true }),
      'portrait.mp4': await makeClip({ seconds: 2, width: 360, height: 640, audio: false }),
    };
    for (const [name, file] of Object.entries(clips)) await copyFile(file, path.join(stack.inputRoot, name));
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:duration=2',
      '-c:a',
      'aac',
      path.join(stack.inputRoot, 'audio.m4a'),
    ]);
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240',
      '-frames:v',
      '1',
      path.join(stack.inputRoot, 'still.png'),
    ]);
    url = (name) => pathToFileURL(path.join(stack.inputRoot, name)).href;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('encodes every preset in one job, each output checked with ffprobe', async () => {
    const outputs = [
      'mp4-1080p',
      'mp4-720p',
      'mp4-480p',
      'mp4-360p',
      'webm-720p',
      'hls',
      'thumbnails',
      'audio-aac',
    ].map((preset) => ({ preset }));
    const created = await api()<Job>('POST', '/v1/jobs', { input: url('hd.mp4'), outputs });
    expect(created.status).toBe(202);
    const job = await finish(created.body.id, 180_000);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const dir = path.join(stack.storageDir, 'acme', job.id);
    const byName = Object.fromEntries(job.outputs.map((o) => [o.name, o]));
    for (const [name, height, codec] of [
      ['mp4-1080p', 720, 'h264'],
      ['mp4-720p', 720, 'h264'],
      ['mp4-480p', 480, 'h264'],
      ['mp4-360p', 360, 'h264'],
      ['webm-720p', 720, 'vp9'],
    ] as const) {
      const file = path.join(dir, `${name}.${name.startsWith('webm') ? 'webm' : 'mp4'}`);
      const probe = await ffprobeJson(file);
      expect(
        probe.streams.find((s) => s.codec_type === 'video'),
        name,
      ).toMatchObject({ codec_name: codec, height });
      expect(
        probe.streams.some((s) => s.codec_type === 'audio'),
        name,
      ).toBe(true);
      expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThan(0.1);
      expect(byName[name]).toMatchObject({ status: 'completed', height });
    }
    const master = path.join(dir, 'hls', 'master.m3u8');
    expect((await ffprobeJson(master)).streams.filter((s) => s.codec_type === 'video').length).toBe(3);
    expect(byName.hls!.files!.map((f) => f.path)).toContain('master.m3u8');
    expect((await readdir(path.join(dir, 'thumbnails'))).length).toBe(5);
    // Directory outputs download through the API: the entry file, then any listed file.
    const get = (p: string) =>
      fetch(`${stack.apiUrl}${p}`, { headers: { authorization: `Bearer ${stack.customers[0]!.key}` } });
    const masterRes = await get(byName.hls!.downloadPath!);
    expect(masterRes.status).toBe(200);
    expect(await masterRes.text()).toContain('v0/index.m3u8');
    // downloadPath names the master; the output's files sit beside it.
    const hlsDir = byName.hls!.downloadPath!.slice(0, byName.hls!.downloadPath!.lastIndexOf('/'));
    const segment = byName.hls!.files!.find((f) => f.path.endsWith('.ts'))!;
    const segRes = await get(`${hlsDir}/${segment.path}`);
    expect(segRes.status).toBe(200);
    expect((await segRes.arrayBuffer()).byteLength).toBe(segment.sizeBytes);
    for (const bad of ['/..%2f..%2fmp4-360p.mp4', '/v0/..%2f..%2fmp4-360p.mp4', '/nope.ts'])
      expect((await get(`${hlsDir}${bad}`)).status).toBe(404);
    expect((await get(byName.thumbnails!.downloadPath!)).headers.get('content-type')).toBe('image/jpeg');
    const audio = await ffprobeJson(path.join(dir, 'audio-aac.m4a'));
    expect(audio.streams.map((s) => s.codec_type)).toEqual(['audio']);
    // Nothing half-written is left behind.
    expect((await readdir(dir)).filter((f) => f.startsWith('.tmp'))).toEqual([]);
  });

  it('handles portrait video without audio, audio-only and still-image inputs with clear outcomes', async () => {
    const portrait = await finish(
      (await api()<Job>('POST', '/v1/jobs', { input: url('portrait.mp4'), outputs: [{ preset: 'mp4-360p' }] })).body.id,
    );
    expect(portrait.status).toBe('completed');
    expect(portrait.outputs[0]).toMatchObject({ width: 360, height: 640 });

    const audioOk = await finish(
      (await api()<Job>('POST', '/v1/jobs', { input: url('audio.m4a'), outputs: [{ preset: 'audio-aac' }] })).body.id,
    );
    expect(audioOk.status).toBe('completed');
    const audioBad = await finish(
      (await api()<Job>('POST', '/v1/jobs', { input: url('audio.m4a'), outputs: [{ preset: 'mp4-360p' }] })).body.id,
    );
    expect(audioBad).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'no_video' } });
    const noAudio = await finish(
      (await api()<Job>('POST', '/v1/jobs', { input: url('portrait.mp4'), outputs: [{ preset: 'audio-aac' }] })).body
        .id,
    );
    expect(noAudio).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'no_audio' } });
    const still = await finish(
      (await api()<Job>('POST', '/v1/jobs', { input: url('still.png'), outputs: [{ preset: 'mp4-360p' }] })).body.id,
    );
    expect(still.status).toBe('failed');
    expect(still.attempts).toBe(1);
    expect(still.error?.message).toMatch(/duration|media/);
  });

  it('cancels a running encode and its ffmpeg is gone within 2 s', async () => {
    const id = (await api()<Job>('POST', '/v1/jobs', { input: url('long.mp4'), outputs: [{ preset: 'mp4-1080p' }] }))
      .body.id;
    await waitFor(async () => (await ffmpegsFor(id)).length > 0, {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'ffmpeg to start',
    });
    const cancelled = await api()<Job>('POST', `/v1/jobs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    const t0 = Date.now();
    await waitFor(async () => (await ffmpegsFor(id)).length === 0, {
      timeoutMs: 2000,
      intervalMs: 50,
      message: 'ffmpeg to be killed',
    });
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 500));
    const job = (await api()<Job>('GET', `/v1/jobs/${id}`)).body;
    expect(job.status).toBe('cancelled');
    expect(await readdir(path.join(stack.storageDir, 'acme', id)).catch(() => [])).toEqual([]);
  });

  it('finishes a job on another worker, exactly once, when its worker is SIGKILLed mid-encode', async () => {
    const watcher = await connectCustomerClient(stack.apiUrl, stack.customers[0]!.key);
    await watcher.subscribed;
    try {
      const id = (await api()<Job>('POST', '/v1/jobs', { input: url('long.mp4'), outputs: [{ preset: 'mp4-720p' }] }))
        .body.id;
      await waitFor(async () => (await ffmpegsFor(id)).length > 0, {
        timeoutMs: 20_000,
        intervalMs: 50,
        message: 'ffmpeg to start',
      });
      // Find which worker runs it: the one whose ffmpeg child it is.
      const workers = Object.entries(stack.apps).filter(([name]) => name.startsWith('worker'));
      const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
      const ffmpegLine = stdout.split('\n').find((l) => l.includes('ffmpeg') && l.includes(id))!;
      const parent = Number(ffmpegLine.trim().split(/\s+/)[1]);
      const victim = workers.find(([, app]) => app.child.pid === parent);
      expect(victim, 'the worker running the job').toBeTruthy();
      // The worker keeps its scratch (the job's input folder) under its own folder, in /tmp: the
      // harness gives apps no TMPDIR.
      const victimScratch = path.join(
        '/tmp',
        `kiln-worker-${hostname()
          .replace(/[^A-Za-z0-9.-]/g, '_')
          .slice(0, 64)}-${parent}`,
      );
      expect((await readdir(victimScratch)).some((n) => n.startsWith('kiln-input-'))).toBe(true);
      process.kill(parent, 'SIGKILL');
      // Its orphaned ffmpeg is killed too, as a machine failure would.
      for (const pid of await ffmpegsFor(id)) process.kill(pid, 'SIGKILL');
      await stack.addWorker();
      // The new worker removed what the dead one left behind when it started.
      await expect(readdir(victimScratch)).rejects.toMatchObject({ code: 'ENOENT' });
      const job = await finish(id, 120_000);
      expect(job.status).toBe('completed');
      expect(job.attempts).toBeGreaterThanOrEqual(1);
      await waitFor(() => watcher.events.some((e) => e.name === 'job.completed' && e.data.id === id), {
        timeoutMs: 5000,
        message: 'job.completed event',
      });
      expect(watcher.events.filter((e) => e.name === 'job.completed' && e.data.id === id)).toHaveLength(1);
      expect(await readdir(path.join(stack.storageDir, 'acme', id))).toEqual(['mp4-720p.mp4']);
    } finally {
      watcher.disconnect();
    }
  });

  it('on SIGTERM past its grace, hands the running job back and another worker completes it', async () => {
    // Three outputs, VP9 among them: no machine encodes them within the 1 s grace (one 12 s
    // output alone took a fast CI machine 3 s, and finished inside the grace).
    const outputs = ['mp4-1080p', 'webm-720p', 'mp4-480p'].map((preset) => ({ preset }));
    const id = (await api()<Job>('POST', '/v1/jobs', { input: url('long.mp4'), outputs })).body.id;
    await waitFor(async () => (await ffmpegsFor(id)).length > 0, {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'ffmpeg to start',
    });
    const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
    const parent = Number(
      stdout
        .split('\n')
        .find((l) => l.includes('ffmpeg') && l.includes(id))!
        .trim()
        .split(/\s+/)[1],
    );
    const victim = Object.values(stack.apps).find((app) => app.child.pid === parent)!;
    // SIGTERM at once; the replacement worker starts meanwhile (the stack's other worker may
    // take the job first, which is as good).
    const replacement = stack.addWorker();
    await victim.stop({ signal: 'SIGTERM', graceMs: 20_000 });
    await replacement;
    expect(victim.child.exit?.code).toBe(0);
    expect(victim.logs()).toContain('handed back');
    const job = await finish(id, 120_000);
    expect(job.status).toBe('completed');
  });
});

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { it } from 'vitest';
import { killHard, listProcesses } from '../support/process-tree.js';
import { apiClient, startTestStack } from '../support/stack-harness.js';

it('stalled thrice', { timeout: 200_000 }, async () => {
  const stack = await startTestStack({ customers: ['acme'], workers: 1, env: { KILN_WORKER_STALLED_S: '2', KILN_RATE_LIMIT_PER_MIN: '0', KILN_LOG_LEVEL: 'info' } });
  try {
    const acme = stack.customers[0]!;
    const api = apiClient(stack.apiUrl, acme.key);
    const clip = path.join(stack.inputRoot, 'long.mp4');
    await copyFile(await makeClip({ seconds: 12, width: 1280, height: 720 }), clip);
    const id = (await api<Job>('POST', '/v1/jobs', { input: pathToFileURL(clip).href, outputs: [{ preset: 'mp4-1080p' }] })).body.id;
    for (let k = 0; k < 3; k++) {
      let parent = 0;
      await waitFor(async () => { const p = (await listProcesses()).find((r) => r.args.includes('ffmpeg') && r.args.includes(id)); parent = p?.ppid ?? 0; return !!p; }, { timeoutMs: 30_000, message: 'ffmpeg' });
      await killHard(parent);
      const w = Object.values(stack.apps).find((a) => a.child.pid === parent)!;
      await w.child.exited;
      await stack.addWorker();
      const job = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
      process.stderr.write(`kill ${k + 1}: status=${job.status} attempts=${job.attempts}\n`);
    }
    await new Promise((r) => setTimeout(r, 15_000));
    const job = (await api<Job>('GET', `/v1/jobs/${id}`)).body;
    process.stderr.write(`after: ${JSON.stringify({ status: job.status, attempts: job.attempts, error: job.error })}\n`);
    const { Redis } = await import('ioredis');
    const r = new Redis(stack.redisUrl);
    const keys = await r.keys(`${stack.prefix}*`);
    for (const k of keys.filter((k) => /bull.*:\d+$|encode:\d+$/.test(k))) process.stderr.write(`${k} ${JSON.stringify(await r.hgetall(k).catch(() => ({})))}\n`);
    process.stderr.write(keys.slice(0, 40).join('\n') + '\n');
    await r.quit();
    process.stderr.write(Object.entries(stack.apps).filter(([n]) => n.startsWith('worker')).map(([n, a]) => `${n}:\n${a.logs().split('\n').filter((l) => l.includes(id) || /stall|fail/i.test(l)).slice(-5).join('\n')}`).join('\n') + '\n');
  } finally {
    await stack.stop();
  }
});

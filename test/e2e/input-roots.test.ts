import { copyFile, mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Job } from '@kiln/jobs';
import { makeClip, waitFor } from '@kiln/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack, type TestStack } from '../support/stack-harness.js';

/**
 * KILN_INPUT_ROOTS per customer, on the real api and worker processes: acme reads its own root
 * and the shared one, never globex's, and no answer tells whether a file exists outside its roots.
 */
describe('per-customer input roots', () => {
  let stack: TestStack;
  let base: string;
  const dirs = { acme: '', globex: '', shared: '' };
  const url = (dir: string, name: string) => pathToFileURL(path.join(dir, name)).href;
  const as = (customer: number) => apiClient(stack.apiUrl, stack.customers[customer]!.key);
  const create = (customer: number, input: string) =>
    as(customer)<Job & { error?: unknown }>('POST', '/v1/jobs', { input, outputs: [{ preset: 'mp4-360p' }] });

  async function finish(customer: number, id: string): Promise<Job> {
    let job: Job | undefined;
    await waitFor(
      async () => {
        job = (await as(customer)<Job>('GET', `/v1/jobs/${id}`)).body;
        return ['completed', 'failed', 'cancelled'].includes(job.status);
      },
      { timeoutMs: 90_000, intervalMs: 100, message: `job ${id} to finish` },
    );
    return job!;
  }

  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'kiln-roots-')));
    for (const name of ['acme', 'globex', 'shared'] as const) {
      dirs[name] = path.join(base, name);
      await mkdir(dirs[name]);
    }
    const clip = await makeClip({ seconds: 1, width: 320, height: 240, audio: false });
    await copyFile(clip, path.join(dirs.acme, 'a.mp4'));
    await copyFile(clip, path.join(dirs.globex, 'g.mp4'));
    await copyFile(clip, path.join(dirs.shared, 's.mp4'));
    await symlink(path.join(dirs.globex, 'g.mp4'), path.join(dirs.acme, 'link-to-globex.mp4'));
    await symlink(path.join(dirs.globex, 'missing.mp4'), path.join(dirs.acme, 'link-to-globex-missing.mp4'));
    stack = await startTestStack({
      customers: ['acme', 'globex'],
      env: { KILN_INPUT_ROOTS: `${dirs.shared},acme=${dirs.acme},globex=${dirs.globex}`, KILN_LOG_LEVEL: 'info' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("encodes a customer's own and shared files, and answers one 400 for another's, a missing one or any path outside", async () => {
    const own = await create(0, url(dirs.acme, 'a.mp4'));
    const shared = await create(0, url(dirs.shared, 's.mp4'));
    const theirs = await create(1, url(dirs.globex, 'g.mp4'));
    for (const res of [own, shared, theirs]) expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await finish(0, own.body.id)).status).toBe('completed');
    expect((await finish(0, shared.body.id)).status).toBe('completed');
    expect((await finish(1, theirs.body.id)).status).toBe('completed');

    // The API judges the path's text alone: whether the file exists changes nothing.
    const inputs = [
      url(dirs.globex, 'g.mp4'),
      url(dirs.globex, 'missing.mp4'),
      `file://${dirs.acme}/../globex/g.mp4`,
      'file:///etc/passwd',
      'file:///etc/no-such-file',
      url(base, 'nowhere/x.mp4'),
    ];
    const answers = await Promise.all(inputs.map((input) => create(0, input)));
    for (const res of answers) expect(res.status).toBe(400);
    expect(
      new Set(answers.map((res) => JSON.stringify(res.body))).size,
      JSON.stringify(answers.map((a) => a.body)),
    ).toBe(1);
    expect(answers[0]!.body).toMatchObject({
      error: { fields: [{ path: 'input', message: expect.stringContaining('KILN_INPUT_ROOTS') }] },
    });
  });

  it("fails jobs alike at run time for links out of the customer's root and for a missing file", async () => {
    const inputs = [
      url(dirs.acme, 'link-to-globex.mp4'),
      url(dirs.acme, 'link-to-globex-missing.mp4'),
      url(dirs.acme, 'missing.mp4'),
    ];
    const created = await Promise.all(inputs.map((input) => create(0, input)));
    for (const res of created) expect(res.status, JSON.stringify(res.body)).toBe(202);
    const jobs = await Promise.all(created.map((res) => finish(0, res.body.id)));
    for (const job of jobs) expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    const errors = new Set(jobs.map((job) => JSON.stringify(job.error)));
    expect(errors.size, [...errors].join('\n')).toBe(1);
    expect(jobs[0]!.error).toMatchObject({
      code: 'input_forbidden',
      message: expect.stringContaining('KILN_INPUT_ROOTS'),
    });
  });
});

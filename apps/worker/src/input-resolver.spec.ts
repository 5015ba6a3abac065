import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { INPUT_FILE_REFUSED, InputRoots } from '@kiln/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, InputResolver, type ResolveContext } from './input-resolver.js';

let base: string;
let root: string;
let storage: string;
let resolver: InputResolver;
const ctx = (customerId = 'cust-a'): ResolveContext => ({
  customerId,
  jobId: randomUUID(),
  workDir: path.join(base, 'work'),
});

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(tmpdir(), 'kiln-input-resolver-')));
  root = path.join(base, 'inputs');
  storage = path.join(base, 'storage');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(path.join(base, 'inputs-other'), { recursive: true });
  await mkdir(path.join(base, 'work'), { recursive: true });
  await writeFile(path.join(root, 'clip.mp4'), 'inside');
  await writeFile(path.join(root, 'empty.mp4'), '');
  await writeFile(path.join(base, 'secret.txt'), 'outside');
  await writeFile(path.join(base, 'inputs-other', 'clip.mp4'), 'sibling');
  await symlink(path.join(base, 'secret.txt'), path.join(root, 'escape.mp4'));
  await symlink(path.join(base), path.join(root, 'sub', 'up'));
  await symlink(path.join(root, 'clip.mp4'), path.join(root, 'alias.mp4'));
  resolver = new InputResolver({ roots: [root], storageDir: storage, maxInputBytes: 1024, timeoutMs: 1000 });
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

const fileUrl = (p: string) => pathToFileURL(p).href;

describe('InputResolver file://', () => {
  it('resolves a file under a root, and its cleanup leaves the file alone', async () => {
    const input = await resolver.resolve(fileUrl(path.join(root, 'clip.mp4')), ctx());
    expect(input.path).toBe(path.join(root, 'clip.mp4'));
    await input.cleanup();
    expect(await readFile(input.path, 'utf8')).toBe('inside');
  });

  it('follows a link that stays inside the root', async () => {
    const input = await resolver.resolve(fileUrl(path.join(root, 'alias.mp4')), ctx());
    expect(input.path).toBe(path.join(root, 'clip.mp4'));
  });

  it.each([
    ['a .. path out of the root', () => `file://${root}/../secret.txt`],
    ['an encoded .. path', () => `file://${root}/%2e%2e/secret.txt`],
    ['a symlink inside the root pointing outside', () => fileUrl(path.join(root, 'escape.mp4'))],
    ['a path through a symlinked directory', () => `file://${root}/sub/up/secret.txt`],
    [
      'a sibling directory sharing the root as a name prefix',
      () => fileUrl(path.join(base, 'inputs-other', 'clip.mp4')),
    ],
  ])('refuses %s', async (_what, input) => {
    await expect(resolver.resolve(input(), ctx())).rejects.toMatchObject({
      name: 'InputError',
      code: 'input_forbidden',
    });
  });

  it('refuses a directory and an empty file as invalid, and a missing file like any refused path', async () => {
    await expect(resolver.resolve(fileUrl(path.join(root, 'sub')), ctx())).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(resolver.resolve(fileUrl(path.join(root, 'empty.mp4')), ctx())).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('0 bytes'),
    });
    await expect(resolver.resolve(fileUrl(path.join(root, 'nope.mp4')), ctx())).rejects.toMatchObject({
      code: 'input_forbidden',
      message: INPUT_FILE_REFUSED,
    });
  });

  it('refuses every file:// input when no roots are configured', async () => {
    const none = new InputResolver({ roots: [], storageDir: storage, maxInputBytes: 1024, timeoutMs: 1000 });
    await expect(none.resolve(fileUrl(path.join(root, 'clip.mp4')), ctx())).rejects.toMatchObject({
      code: 'input_forbidden',
    });
  });

  it('refuses unknown schemes and non-URLs as final errors', async () => {
    await expect(resolver.resolve('ftp://example.com/a.mp4', ctx())).rejects.toMatchObject({
      code: 'unsupported_input',
    });
    await expect(resolver.resolve('not a url', ctx())).rejects.toBeInstanceOf(InputError);
  });
});

describe('InputResolver file:// with per-customer roots', () => {
  let own: string;
  let other: string;
  let shared: string;
  let perCustomer: InputResolver;

  beforeAll(async () => {
    [own, other, shared] = [path.join(base, 'acme'), path.join(base, 'globex'), path.join(base, 'shared')];
    for (const dir of [own, other, shared]) await mkdir(dir, { recursive: true });
    await writeFile(path.join(own, 'a.mp4'), 'acme');
    await writeFile(path.join(other, 'b.mp4'), 'globex');
    await writeFile(path.join(shared, 's.mp4'), 'shared');
    await symlink(path.join(other, 'b.mp4'), path.join(own, 'to-existing.mp4'));
    await symlink(path.join(other, 'missing.mp4'), path.join(own, 'to-missing.mp4'));
    await symlink(path.join(shared, 's.mp4'), path.join(own, 'to-shared.mp4'));
    perCustomer = new InputResolver({
      roots: InputRoots.parse(`${shared},acme=${own},globex=${other}`),
      storageDir: storage,
      maxInputBytes: 1024,
      timeoutMs: 1000,
    });
  });

  it('reads its own and the shared roots, also through a link from one to the other', async () => {
    expect((await perCustomer.resolve(fileUrl(path.join(own, 'a.mp4')), ctx('acme'))).path).toBe(
      path.join(own, 'a.mp4'),
    );
    expect((await perCustomer.resolve(fileUrl(path.join(shared, 's.mp4')), ctx('acme'))).path).toBe(
      path.join(shared, 's.mp4'),
    );
    expect((await perCustomer.resolve(fileUrl(path.join(own, 'to-shared.mp4')), ctx('acme'))).path).toBe(
      path.join(shared, 's.mp4'),
    );
    expect((await perCustomer.resolve(fileUrl(path.join(other, 'b.mp4')), ctx('globex'))).path).toBe(
      path.join(other, 'b.mp4'),
    );
  });

  it("answers alike for another customer's file, a missing one, and links to either", async () => {
    const refusals = await Promise.all(
      [
        path.join(other, 'b.mp4'),
        path.join(other, 'missing.mp4'),
        `${own}/../globex/b.mp4`,
        path.join(own, 'to-existing.mp4'),
        path.join(own, 'to-missing.mp4'),
        path.join(own, 'missing.mp4'),
        path.join(base, 'secret.txt'),
      ].map((file) =>
        perCustomer.resolve(fileUrl(file), ctx('acme')).then(
          () => file,
          (err: InputError) => ({ name: err.name, code: err.code, message: err.message }),
        ),
      ),
    );
    expect(new Set(refusals.map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify({ name: 'InputError', code: 'input_forbidden', message: INPUT_FILE_REFUSED })]),
    );
    await expect(perCustomer.resolve(fileUrl(path.join(own, 'a.mp4')), ctx('globex'))).rejects.toMatchObject({
      code: 'input_forbidden',
      message: INPUT_FILE_REFUSED,
    });
    await expect(perCustomer.resolve(fileUrl(path.join(own, 'a.mp4')), ctx('initech'))).rejects.toMatchObject({
      code: 'input_forbidden',
      message: INPUT_FILE_REFUSED,
    });
  });
});

describe('InputResolver upload://', () => {
  const own = randomUUID();
  const others = randomUUID();

  beforeAll(async () => {
    await mkdir(path.join(storage, 'uploads', 'cust-a'), { recursive: true });
    await mkdir(path.join(storage, 'uploads', 'cust-b'), { recursive: true });
    await writeFile(path.join(storage, 'uploads', 'cust-a', own), 'uploaded by a');
    await writeFile(path.join(storage, 'uploads', 'cust-b', others), 'uploaded by b');
  });

  it("resolves the customer's own upload, and cleanup keeps it", async () => {
    const input = await resolver.resolve(`upload://${own}`, ctx('cust-a'));
    expect(await readFile(input.path, 'utf8')).toBe('uploaded by a');
    await input.cleanup();
    expect(await readFile(input.path, 'utf8')).toBe('uploaded by a');
  });

  it('accepts the id in upper case', async () => {
    const input = await resolver.resolve(`upload://${own.toUpperCase()}`, ctx('cust-a'));
    expect(input.path).toBe(path.join(path.resolve(storage), 'uploads', 'cust-a', own));
  });

  it("does not find another customer's upload", async () => {
    await expect(resolver.resolve(`upload://${others}`, ctx('cust-a'))).rejects.toMatchObject({
      name: 'InputError',
      code: 'input_not_found',
    });
    await expect(resolver.resolve(`upload://${own}`, ctx('cust-b'))).rejects.toMatchObject({ code: 'input_not_found' });
  });

  it('reports a missing upload as input_not_found', async () => {
    await expect(resolver.resolve(`upload://${randomUUID()}`, ctx('cust-a'))).rejects.toMatchObject({
      code: 'input_not_found',
    });
  });

  it.each([
    'upload://../cust-b/x',
    'upload://not-a-uuid',
    `upload://${randomUUID()}/x`,
    `upload://${randomUUID()}x`,
    'upload://',
    `upload:${randomUUID()}`,
  ])('refuses the malformed id in %s', async (input) => {
    await expect(resolver.resolve(input, ctx('cust-a'))).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('refuses a customer id that could leave the uploads tree', async () => {
    await expect(resolver.resolve(`upload://${own}`, ctx('../cust-a'))).rejects.toMatchObject({
      code: 'input_forbidden',
    });
  });

  it('does not follow a link planted in the uploads tree', async () => {
    const id = randomUUID();
    await symlink(path.join(base, 'secret.txt'), path.join(storage, 'uploads', 'cust-a', id));
    await expect(resolver.resolve(`upload://${id}`, ctx('cust-a'))).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('InputResolver upload:// from remote storage (S3)', () => {
  const id = randomUUID();
  // A stand-in for the bucket: keys map to contents; a download copies one into the work dir.
  const objects = new Map<string, string>([[`uploads/cust-a/${id}`, 'in the bucket']]);
  const remote = {
    download: async (key: string, dest: string) => {
      const body = objects.get(key);
      if (body === undefined) return null;
      await writeFile(dest, body, { flag: 'wx' });
      return body.length;
    },
  };
  const s3Resolver = () =>
    new InputResolver({ roots: [], storageDir: storage, maxInputBytes: 1024, timeoutMs: 1000, remoteUploads: remote });

  it("downloads the customer's own upload into the work dir, and cleanup removes the copy", async () => {
    const workDir = await mkdtemp(path.join(base, 'work-s3-'));
    const input = await s3Resolver().resolve(`upload://${id.toUpperCase()}`, { ...ctx('cust-a'), workDir });
    expect(path.dirname(input.path)).toBe(workDir);
    expect(await readFile(input.path, 'utf8')).toBe('in the bucket');
    await input.cleanup();
    await expect(readFile(input.path)).rejects.toThrow();
  });

  it("reports another customer's or a missing upload as input_not_found, and an empty one as invalid", async () => {
    const workDir = await mkdtemp(path.join(base, 'work-s3-'));
    await expect(s3Resolver().resolve(`upload://${id}`, { ...ctx('cust-b'), workDir })).rejects.toMatchObject({
      code: 'input_not_found',
    });
    const empty = randomUUID();
    objects.set(`uploads/cust-a/${empty}`, '');
    await expect(s3Resolver().resolve(`upload://${empty}`, { ...ctx('cust-a'), workDir })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(s3Resolver().resolve(`upload://${id}`, { ...ctx('../cust-a'), workDir })).rejects.toMatchObject({
      code: 'input_forbidden',
    });
  });
});

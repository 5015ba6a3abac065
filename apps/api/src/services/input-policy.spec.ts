import { INPUT_FILE_REFUSED, InputRoots } from '@kiln/config';
import { describe, expect, it } from 'vitest';
import { InputPolicy } from './input-policy.js';

const UPLOAD = '0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a11';
const uploads = { exists: async (customerId: string, id: string) => customerId === 'acme' && id === UPLOAD };

describe('InputPolicy', () => {
  const policy = new InputPolicy(['/srv/media', '/data/in/'], uploads);

  it('accepts file:// paths under a root', async () => {
    expect(await policy.check('file:///srv/media/a.mp4', 'acme')).toEqual([]);
    expect(await policy.check('file:///data/in/sub/dir/b.mov', 'acme')).toEqual([]);
  });

  it('refuses paths outside the roots, prefix tricks and .. escapes', async () => {
    for (const input of [
      'file:///etc/passwd',
      'file:///srv/media-evil/a.mp4',
      'file:///srv/media/../secret.mp4',
      'file:///srv/media/%2e%2e/x.mp4',
      'file:///srv/media',
    ]) {
      expect(await policy.check(input, 'acme'), input).toEqual([{ path: 'input', message: INPUT_FILE_REFUSED }]);
    }
  });

  it("gives a customer its own and the shared roots only, refusing another's with the same answer as any outside path", async () => {
    const perCustomer = new InputPolicy(InputRoots.parse('/srv/shared,acme=/srv/acme,globex=/srv/globex'), uploads);
    expect(await perCustomer.check('file:///srv/acme/a.mp4', 'acme')).toEqual([]);
    expect(await perCustomer.check('file:///srv/shared/a.mp4', 'globex')).toEqual([]);
    const refused = [{ path: 'input', message: INPUT_FILE_REFUSED }];
    for (const input of [
      'file:///srv/globex/a.mp4',
      'file:///srv/acme/../globex/a.mp4',
      'file:///srv/globex/no-such-file.mp4',
      'file:///nowhere/x.mp4',
      'file://host/srv/acme/a.mp4',
    ]) {
      expect(await perCustomer.check(input, 'acme'), input).toEqual(refused);
    }
    expect(await perCustomer.check('file:///srv/acme/a.mp4', 'initech')).toEqual(refused);
  });

  it('names the field for unsupported schemes and malformed URLs', async () => {
    expect((await policy.check('ftp://x/y.mp4', 'acme'))[0]).toMatchObject({
      path: 'input',
      message: expect.stringMatching(/unsupported scheme ftp/),
    });
    expect((await policy.check('not a url', 'acme'))[0]).toMatchObject({ path: 'input', message: 'not a valid URL' });
    expect((await new InputPolicy([], uploads).check('file:///srv/media/a.mp4', 'acme'))[0]!.message).toMatch(
      /disabled/,
    );
  });

  it('accepts http(s) URLs without credentials and within the length limit', async () => {
    expect(await policy.check('https://media.example.com/a.mp4?sig=abc', 'acme')).toEqual([]);
    expect(await policy.check('http://10.0.0.5:8080/a.mp4', 'acme')).toEqual([]);
    expect((await policy.check('https://user:pw@media.example.com/a.mp4', 'acme'))[0]).toMatchObject({
      path: 'input',
      message: expect.stringMatching(/credentials/),
    });
    expect((await policy.check('https://user@media.example.com/a.mp4', 'acme'))[0]!.message).toMatch(/credentials/);
    expect((await policy.check(`https://media.example.com/${'a'.repeat(2100)}`, 'acme'))[0]!.message).toMatch(
      /longer than 2048/,
    );
  });

  it("accepts upload:// only for the customer's own existing upload", async () => {
    expect(await policy.check(`upload://${UPLOAD}`, 'acme')).toEqual([]);
    // UUIDs are case-insensitive: the one upload-id rule (@kiln/storage) reads any case, as the worker always did.
    expect(await policy.check(`upload://${UPLOAD.toUpperCase()}`, 'acme')).toEqual([]);
    expect((await policy.check(`upload://${UPLOAD}`, 'globex'))[0]).toMatchObject({
      path: 'input',
      message: expect.stringMatching(/no upload/),
    });
    expect((await policy.check('upload://0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a12', 'acme'))[0]!.message).toMatch(
      /no upload/,
    );
    for (const bad of ['upload://../../etc/passwd', 'upload://', `upload://${UPLOAD}/x`]) {
      expect((await policy.check(bad, 'acme'))[0], bad).toMatchObject({
        path: 'input',
        message: expect.stringMatching(/not an upload id/),
      });
    }
  });
});

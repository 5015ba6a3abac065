import { describe, expect, it } from 'vitest';
import { InputPolicy } from './input-policy.js';

describe('InputPolicy', () => {
  const policy = new InputPolicy(['/srv/media', '/data/in/']);

  it('accepts file:// paths under a root', () => {
    expect(policy.check('file:///srv/media/a.mp4')).toEqual([]);
    expect(policy.check('file:///data/in/sub/dir/b.mov')).toEqual([]);
  });

  it('refuses paths outside the roots, prefix tricks and .. escapes', () => {
    for (const input of ['file:///etc/passwd', 'file:///srv/media-evil/a.mp4', 'file:///srv/media/../secret.mp4', 'file:///srv/media/%2e%2e/x.mp4', 'file:///srv/media']) {
      expect(policy.check(input), input).toEqual([{ path: 'input', message: expect.stringMatching(/outside the allowed input roots/) }]);
    }
  });

  it('names the field for unsupported schemes and malformed URLs', () => {
    expect(policy.check('ftp://x/y.mp4')[0]).toMatchObject({ path: 'input', message: expect.stringMatching(/unsupported scheme ftp/) });
    expect(policy.check('not a url')[0]).toMatchObject({ path: 'input', message: 'not a valid URL' });
    expect(new InputPolicy([]).check('file:///srv/media/a.mp4')[0]!.message).toMatch(/disabled/);
  });
});

import { describe, expect, it } from 'vitest';
import { formatBanner, READY_LINE } from './banner.js';
import { describeStorage } from './app-env.js';

const stack = {
  urls: {
    api: 'http://127.0.0.1:3000',
    dashboard: 'http://127.0.0.1:3002',
    webhooks: 'http://127.0.0.1:3001',
    redis: 'redis://127.0.0.1:6379',
  },
  redis: { source: 'existing' as const, dataDir: undefined },
  pusher: {
    embedded: true,
    description: 'embedded soketi on ws://127.0.0.1:6001 (app 1234567, pid 42)',
    appId: '1234567',
    key: 'k',
  },
  apiKey: '0123456789abcdef0123456789abcdef',
  inputRoot: '/srv/kiln/.kiln/inputs',
  storage: '/srv/kiln/.kiln/storage',
  workers: 2,
};

describe('formatBanner', () => {
  it('ends with the exact ready line and prints every part, the demo key and a job-creating curl', () => {
    const lines = formatBanner(stack);
    expect(lines.at(-1)).toBe(READY_LINE);
    expect(READY_LINE).toBe('Kiln is up.');
    const text = lines.join('\n');
    for (const part of [
      'http://127.0.0.1:3000',
      'http://127.0.0.1:3002',
      'http://127.0.0.1:3001/pusher/webhooks',
      'embedded soketi',
      'redis://127.0.0.1:6379',
      '/srv/kiln/.kiln/inputs',
      '/srv/kiln/.kiln/storage',
    ])
      expect(text).toContain(part);
    expect(lines).toContain('Demo API key: 0123456789abcdef0123456789abcdef');
    const curl = lines.find((l) => l.includes('curl -s -X POST'));
    expect(curl).toContain("-H 'Authorization: Bearer 0123456789abcdef0123456789abcdef'");
    const body = /-d '(.+)'$/.exec(curl!)?.[1];
    expect(JSON.parse(body!)).toMatchObject({
      input: 'file:///srv/kiln/.kiln/inputs/my-video.mp4',
      outputs: [{ preset: 'mp4-720p' }, { preset: 'mp4-360p' }],
    });
  });

  it('does not invent a key when KILN_API_KEYS was set, and reminds to point hosted Pusher webhooks at us', () => {
    const text = formatBanner({
      ...stack,
      apiKey: undefined,
      pusher: { ...stack.pusher, embedded: false, description: 'hosted Pusher, cluster eu (app 1)' },
    }).join('\n');
    expect(text).not.toContain('Demo API key');
    expect(text).toContain('API keys: from KILN_API_KEYS');
    expect(text).toContain('/pusher/webhooks');
    expect(text).toContain("Pusher app's webhooks");
  });

  it('names the S3 bucket instead of the storage dir when KILN_S3_BUCKET is set', () => {
    expect(describeStorage({}, '/srv/kiln/.kiln/storage')).toBe('/srv/kiln/.kiln/storage');
    expect(
      describeStorage(
        { KILN_S3_BUCKET: 'kiln-media', KILN_S3_PREFIX: 'farm/', KILN_S3_ENDPOINT: 'http://minio:9000' },
        '/x',
      ),
    ).toBe('S3 bucket kiln-media under farm/ at http://minio:9000');
    expect(describeStorage({ KILN_S3_BUCKET: 'kiln-media' }, '/x')).toBe('S3 bucket kiln-media at AWS');
  });
});

import { isPortFree } from '@kiln/stack';
import { describe, expect, it } from 'vitest';
import { startS3 } from './start-s3.js';

describe('startS3', () => {
  it('starts an S3 server on a free loopback port with its bucket, and removes everything on stop', async () => {
    const s3 = await startS3({ bucket: 'spec-bucket' });
    try {
      const res = await fetch(`${s3.endpoint}/spec-bucket?list-type=2`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<Name>spec-bucket</Name>');
      expect(s3.s3Env()).toMatchObject({ KILN_S3_ENDPOINT: s3.endpoint, KILN_S3_BUCKET: 'spec-bucket' });
    } finally {
      await s3.stop();
    }
    expect(await isPortFree(s3.port)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonFields, loadConfig, redisUrls, withRedisCluster } from './index.js';

describe('withRedisCluster', () => {
  const schema = z.object(commonFields).transform(withRedisCluster);

  it('leaves a single Redis and its prefix alone', () => {
    const c = loadConfig(schema, { REDIS_URL: 'redis://10.0.0.1:6379' });
    expect(c.KILN_REDIS_CLUSTER).toBe(false);
    expect(c.KILN_REDIS_PREFIX).toBe('kiln');
  });

  it('gives the prefix a hash tag in cluster mode, keeping one that has a tag', () => {
    const seeds = 'redis://h1:7000,redis://h2:7001';
    expect(loadConfig(schema, { REDIS_URL: seeds, KILN_REDIS_CLUSTER: 'true' }).KILN_REDIS_PREFIX).toBe('{kiln}');
    const keep = { REDIS_URL: seeds, KILN_REDIS_CLUSTER: 'true' };
    expect(loadConfig(schema, { ...keep, KILN_REDIS_PREFIX: 'farm:{a}' }).KILN_REDIS_PREFIX).toBe('farm:{a}');
    // An empty tag hashes the whole key: it is wrapped like no tag at all.
    expect(loadConfig(schema, { ...keep, KILN_REDIS_PREFIX: 'a{}b' }).KILN_REDIS_PREFIX).toBe('{a{}b}');
  });

  it('refuses several URLs without cluster mode, naming REDIS_URL', () => {
    expect(() => loadConfig(schema, { REDIS_URL: 'redis://h1:7000,redis://h2:7001' })).toThrow(
      /REDIS_URL: lists several URLs; set KILN_REDIS_CLUSTER=true/,
    );
  });

  it('refuses seed nodes that are not all full redis:// URLs of one scheme', () => {
    const cluster = { KILN_REDIS_CLUSTER: 'true' };
    expect(() => loadConfig(schema, { ...cluster, REDIS_URL: 'redis://h1:7000,h2:7001' })).toThrow(
      /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => loadConfig(schema, { ...cluster, REDIS_URL: 'redis://h1:7000,rediss://h2:7001' })).toThrow(
      /REDIS_URL: seed nodes must all be redis:\/\/ or all rediss:\/\//,
    );
  });

  it('reads a seed list trimmed, without empty entries', () => {
    expect(redisUrls(' redis://h1:7000, ,redis://h2:7001 ')).toEqual(['redis://h1:7000', 'redis://h2:7001']);
  });
});

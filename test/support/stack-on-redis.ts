import { startTestStack, type TestStack } from './stack-harness.js';

/**
 * {@link startTestStack} on a Redis the test owns (to stop and restart it): `startRedis()` takes
 * a given Redis only from `process.env.REDIS_URL`, so it is set for the start and put back after.
 */
export async function startTestStackOnRedis(
  redisUrl: string,
  opts: Parameters<typeof startTestStack>[0] = {},
): Promise<TestStack> {
  const saved = process.env.REDIS_URL;
  process.env.REDIS_URL = redisUrl;
  try {
    return await startTestStack({ ...opts, env: { ...opts.env, REDIS_URL: redisUrl } });
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  }
}

import { startTestStack, type TestStack, type TestStackOptions } from './stack-harness.js';

/** {@link startTestStack} on a Redis the test owns (to stop and restart it). */
export async function startTestStackOnRedis(redisUrl: string, opts: TestStackOptions = {}): Promise<TestStack> {
  return startTestStack({ ...opts, redis: { url: redisUrl } });
}

import type { Redis } from 'ioredis';

/** Redis commands a piece of work ran, in all and by name (commands inside scripts included). */
export interface CommandCount {
  total: number;
  byCommand: Record<string, number>;
}

/**
 * Runs `work` and counts the commands the Redis server executed meanwhile, from `INFO
 * commandstats` (reset first). It counts every client's commands, so use a Redis nothing else
 * talks to during the call; the CONFIG and INFO of the measurement are left out. A cost bound
 * asserted this way does not depend on the machine's speed, unlike a timing.
 */
export async function countRedisCommands(redis: Redis, work: () => Promise<unknown>): Promise<CommandCount> {
  await redis.config('RESETSTAT');
  await work();
  const info = await redis.info('commandstats');
  const byCommand: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = m[1]!;
    // The counting's own commands (Redis 7 lists subcommands as `config|resetstat`).
    if (/^(config|info)(\||$)/.test(name)) continue;
    byCommand[name] = Number(m[2]);
  }
  return { total: Object.values(byCommand).reduce((n, c) => n + c, 0), byCommand };
}

import { randomUUID } from 'node:crypto';
import { useRedis } from '@kiln/testing';
import { describe, expect, it } from 'vitest';
import { FLEET_STALE_AFTER_MS, FleetRepository, slotsByPool, type FleetWorkerInfo } from './fleet.repository.js';

const db = useRedis();

/** A repository under a fresh prefix whose clock the test moves. */
function repo() {
  const clock = { now: Date.parse('2026-12-03T12:00:00Z') };
  const fleet = new FleetRepository(db.redis, `test-${randomUUID()}`, { clock: () => clock.now });
  return { fleet, clock };
}

function worker(id: string, pools: string[], concurrency: number): FleetWorkerInfo {
  return {
    id,
    host: 'render-1',
    pid: 4242,
    pools,
    concurrency,
    prefetch: 0,
    startedAt: '2026-12-03T11:00:00.000Z',
    jobs: [{ id: `job-${id}`, customerId: 'acme', status: 'encoding', percent: 42, speed: 3.5 }],
  };
}

describe('FleetRepository', () => {
  it('lists a worker after its heartbeat, with its record and how long ago it beat', async () => {
    const { fleet, clock } = repo();
    await fleet.heartbeat(worker('a', ['cpu'], 2));
    clock.now += 4_000;
    const online = await fleet.online();
    expect(online).toEqual([
      { ...worker('a', ['cpu'], 2), lastSeenAt: '2026-12-03T12:00:00.000Z', lastSeenSecondsAgo: 4 },
    ]);
  });

  it('drops a worker that stopped beating once the stale window passed, and keeps one that beats', async () => {
    const { fleet, clock } = repo();
    await fleet.heartbeat(worker('dies', ['cpu'], 1));
    await fleet.heartbeat(worker('lives', ['cpu'], 1));
    for (let t = 5_000; t <= FLEET_STALE_AFTER_MS; t += 5_000) {
      clock.now += 5_000;
      await fleet.heartbeat(worker('lives', ['cpu'], 1));
    }
    // Exactly at the window's end the silent one is still listed; a moment later it is gone.
    expect((await fleet.online()).map((w) => w.id).sort()).toEqual(['dies', 'lives']);
    clock.now += 1;
    expect((await fleet.online()).map((w) => w.id)).toEqual(['lives']);
    clock.now -= 1;
    expect((await fleet.online()).map((w) => w.id)).toEqual(['lives']);
  });

  it('takes a worker off at once on remove', async () => {
    const { fleet } = repo();
    await fleet.heartbeat(worker('a', ['cpu'], 1));
    await fleet.heartbeat(worker('b', ['cpu'], 1));
    await fleet.remove('a');
    expect((await fleet.online()).map((w) => w.id)).toEqual(['b']);
  });

  it('counts encode slots per pool over the workers online', async () => {
    const { fleet, clock } = repo();
    await fleet.heartbeat(worker('a', ['cpu'], 2));
    await fleet.heartbeat(worker('b', ['cpu', 'gpu'], 3));
    expect(await fleet.slotsOnline('cpu')).toBe(5);
    expect(await fleet.slotsOnline('gpu')).toBe(3);
    expect(await fleet.slotsOnline('arm')).toBe(0);
    clock.now += FLEET_STALE_AFTER_MS + 1;
    await fleet.heartbeat(worker('a', ['cpu'], 2));
    expect(slotsByPool(await fleet.online())).toEqual({ cpu: 2 });
  });

  it('counts the jobs finished in the last 60 s, once per job, and trims what is over an hour old', async () => {
    const { fleet, clock } = repo();
    const t0 = clock.now;
    await fleet.recordFinished('old', t0 - 3_600_001);
    await fleet.recordFinished('a-minute-ago', t0 - 60_001);
    await fleet.recordFinished('j1', t0 - 59_000);
    await fleet.recordFinished('j2');
    await fleet.recordFinished('j2');
    await fleet.recordFinished('j3', t0 - 1);
    expect(await fleet.jobsPerMinute()).toBe(3);
    clock.now += 1_500;
    expect(await fleet.jobsPerMinute()).toBe(2);
    const key = (fleet as unknown as { finishedKey: string }).finishedKey;
    expect((await db.redis.zrangebyscore(key, '-inf', '+inf')).sort()).toEqual(['a-minute-ago', 'j1', 'j2', 'j3']);
  });

  it("uses the Redis server's clock when none is injected", async () => {
    const fleet = new FleetRepository(db.redis, `test-${randomUUID()}`);
    await fleet.heartbeat(worker('a', ['cpu'], 1));
    await fleet.recordFinished('j1');
    const [online] = await fleet.online();
    const [seconds] = await db.redis.time();
    expect(Math.abs(Date.parse(online!.lastSeenAt) - Number(seconds) * 1000)).toBeLessThan(5_000);
    expect(online!.lastSeenSecondsAgo).toBeLessThanOrEqual(1);
    expect(await fleet.jobsPerMinute()).toBe(1);
  });
});

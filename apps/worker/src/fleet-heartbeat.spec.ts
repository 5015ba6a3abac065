import { randomUUID } from 'node:crypto';
import { createLogger, type Logger } from '@kiln/logger';
import { FleetRepository } from '@kiln/scheduler';
import { useRedis, waitFor } from '@kiln/testing';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { FleetHeartbeat, fleetIdentity } from './fleet-heartbeat.js';
import { RunningJobs } from './running-jobs.js';

const db = useRedis();
const logger = createLogger({ name: 'fleet-heartbeat-spec', level: 'silent' });

describe('FleetHeartbeat', () => {
  it('lists the worker at start with its jobs, keeps them current, counts finished jobs and leaves on stop', async () => {
    const fleet = new FleetRepository(db.redis, `test-${randomUUID()}`);
    const running = new RunningJobs();
    const identity = fleetIdentity({ pools: ['cpu'], concurrency: 2, prefetch: 1 });
    const heartbeat = new FleetHeartbeat({ fleet, running, identity, logger, intervalMs: 50 });
    expect(identity.id).toMatch(new RegExp(`^${identity.host}:${process.pid}:[0-9a-f]{8}$`));

    running.start({ id: 'job-1', customerId: 'acme', status: 'probing' });
    heartbeat.start();
    await waitFor(async () => (await fleet.online()).length === 1, { timeoutMs: 5_000, message: 'first beat' });
    expect((await fleet.online())[0]).toMatchObject({
      ...identity,
      jobs: [{ id: 'job-1', customerId: 'acme', status: 'probing', percent: 0, speed: null }],
    });

    running.status('job-1', 'encoding');
    running.progress('job-1', { percent: 40, speed: 2.5 });
    await waitFor(async () => (await fleet.online())[0]?.jobs[0]?.percent === 40, {
      timeoutMs: 5_000,
      message: 'progress in a later beat',
    });
    expect((await fleet.online())[0]!.jobs).toEqual([
      { id: 'job-1', customerId: 'acme', status: 'encoding', percent: 40, speed: 2.5 },
    ]);

    running.finished('job-1', 'completed');
    running.end('job-1');
    await waitFor(async () => (await fleet.jobsPerMinute()) === 1, {
      timeoutMs: 5_000,
      message: 'finished job counted',
    });
    await waitFor(async () => (await fleet.online())[0]?.jobs.length === 0, { timeoutMs: 5_000, message: 'no jobs' });

    await heartbeat.stop();
    expect(await fleet.online()).toEqual([]);
  });

  it('only logs while Redis is away, and stop does not hang on it', async () => {
    // A connection to a port nothing listens on, with the worker's settings (commands wait for Redis).
    const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, lazyConnect: true });
    dead.on('error', () => undefined);
    const warnings: string[] = [];
    const spyLogger = { warn: (_obj: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
    const running = new RunningJobs();
    const heartbeat = new FleetHeartbeat({
      fleet: {
        heartbeat: () => Promise.reject(new Error('Connection is closed.')),
        recordFinished: () => Promise.reject(new Error('Connection is closed.')),
        remove: () => new FleetRepository(dead, 'unreachable').remove('x'),
      },
      running,
      identity: fleetIdentity({ pools: ['cpu'], concurrency: 1, prefetch: 0 }),
      logger: spyLogger,
      intervalMs: 20,
    });
    heartbeat.start();
    running.finished('job-1', 'completed');
    await waitFor(() => warnings.filter((w) => w === 'fleet heartbeat failed').length >= 2, {
      timeoutMs: 5_000,
      message: 'failed beats logged',
    });
    expect(warnings).toContain('could not count a finished job in the fleet');
    // The record cannot be removed (Redis never answers): stop gives up after a moment instead of hanging.
    await heartbeat.stop();
    dead.disconnect();
  });
});

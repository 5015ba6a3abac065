import { describe, expect, it } from 'vitest';
import { RunningJobs } from './running-jobs.js';

describe('RunningJobs', () => {
  it('lists a job while any of its runs here goes on (chunks of one job side by side)', () => {
    const running = new RunningJobs();
    const job = { id: 'job-1', customerId: 'acme', status: 'encoding' as const };
    running.start(job);
    running.start(job);
    running.progress('job-1', { percent: 40, speed: 2 });
    running.end('job-1');
    expect(running.list()).toEqual([{ ...job, percent: 40, speed: 2 }]);
    running.end('job-1');
    expect(running.list()).toEqual([]);
    running.start(job);
    expect(running.list()).toEqual([{ ...job, percent: 0, speed: null }]);
  });
});

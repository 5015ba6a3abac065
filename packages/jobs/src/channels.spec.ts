import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { customerChannel, isKilnChannel, jobChannel, jobIdFromChannel } from './channels.js';

describe('isKilnChannel', () => {
  it('knows customer and job channels, nothing else, and never a bare prefix', () => {
    expect(isKilnChannel(customerChannel('acme'))).toBe(true);
    expect(isKilnChannel('private-job-0b5c7c1e-9d1f-4c39-9a7e-3f1f7f0e2a11')).toBe(true);
    for (const channel of [
      'private-customer-',
      'private-job-',
      'presence-customer-acme',
      'private-other-acme',
      'Private-customer-acme',
      'lobby',
      '',
    ])
      expect(isKilnChannel(channel), channel).toBe(false);
  });

  it('accepts exactly the names made of a Kiln prefix and a non-empty rest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('private-customer-', 'private-job-', 'private-', 'presence-', ''),
        fc.string({ maxLength: 20 }),
        (prefix, rest) => {
          expect(isKilnChannel(prefix + rest)).toBe(/^private-(customer|job)-[\s\S]/.test(prefix + rest));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('jobChannel', () => {
  it('names a job channel and reads the job id back, and nothing from other channels', () => {
    expect(jobChannel('job_1')).toBe('private-job-job_1');
    expect(jobIdFromChannel(jobChannel('job_1'))).toBe('job_1');
    for (const channel of ['private-job-', 'private-customer-acme', 'job_1'])
      expect(jobIdFromChannel(channel)).toBeUndefined();
  });
});

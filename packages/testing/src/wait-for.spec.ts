import { describe, expect, it } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('resolves when the predicate turns true, treating throws as not yet', async () => {
    let calls = 0;
    await waitFor(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('not there yet');
        return calls >= 5;
      },
      { intervalMs: 1 },
    );
    expect(calls).toBe(5);
  });

  it('fails after timeoutMs with the message and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still queued');
        },
        { timeoutMs: 100, message: 'the job to complete' },
      ),
    ).rejects.toThrow('timed out after 100 ms waiting for the job to complete (last error: still queued)');
  });
});

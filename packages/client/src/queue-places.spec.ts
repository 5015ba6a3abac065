import { describe, expect, it } from 'vitest';
import type { JobStatus } from './job.schema.js';
import { QueuePlaces } from './queue-places.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const listed = (id: string, position: number, reason: string | null = null) => ({
  id,
  position,
  etaSeconds: null,
  pool: 'cpu',
  reason,
});

describe('QueuePlaces', () => {
  it('gives a place only while the job is queued', () => {
    const places = new QueuePlaces();
    places.fromEvent({ at: at(1), jobs: [listed('a', 2)] }, () => 'queued');
    expect(places.get('a', 'queued')?.position).toBe(2);
    for (const status of ['probing', 'encoding', 'completed', undefined] as (JobStatus | undefined)[])
      expect(places.get('a', status)).toBeUndefined();
  });

  it('skips listed jobs the caller knows as started, and reports a change of reason', () => {
    const places = new QueuePlaces();
    const status: Record<string, JobStatus> = { a: 'encoding', b: 'queued' };
    expect(places.fromEvent({ at: at(1), jobs: [listed('a', 1), listed('b', 2)] }, (id) => status[id])).toEqual(['b']);
    expect(places.get('a', 'queued')).toBeUndefined();
    expect(places.fromEvent({ at: at(2), jobs: [listed('b', 2)] }, (id) => status[id])).toEqual([]);
    expect(places.fromEvent({ at: at(3), jobs: [listed('b', 2, 'no worker')] }, (id) => status[id])).toEqual(['b']);
    expect(places.get('b', 'queued')?.reason).toBe('no worker');
  });
});

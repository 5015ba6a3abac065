import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { job } from './fake-api.test-helper.js';
import { JobVersions } from './job-versions.js';

describe('JobVersions', () => {
  it('keeps a higher seq, and ignores an equal or lower one', () => {
    const v = new JobVersions();
    expect(v.offer(job({ seq: 3, status: 'encoding' }))).toBe('inserted');
    expect(v.offer(job({ seq: 5, status: 'storing' }))).toBe('updated');
    expect(v.offer(job({ seq: 4, status: 'encoding' }))).toBe('stale');
    expect(v.offer(job({ seq: 5, status: 'storing' }))).toBe('duplicate');
    expect(v.get('job_1')).toMatchObject({ seq: 5, status: 'storing' });
  });

  it('keeps jobs apart by id', () => {
    const v = new JobVersions();
    v.offer(job({ id: 'a', seq: 9 }));
    v.offer(job({ id: 'b', seq: 1 }));
    expect(v.get('a')?.seq).toBe(9);
    expect(v.get('b')?.seq).toBe(1);
    expect(v.get('c')).toBeUndefined();
  });

  it('ends at the highest seq of each job whatever the order and duplication of deliveries', () => {
    const delivery = fc.record({ id: fc.constantFrom('a', 'b', 'c'), seq: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(fc.array(delivery, { minLength: 1, maxLength: 60 }), (deliveries) => {
        const v = new JobVersions();
        for (const d of deliveries)
          v.offer(job({ id: d.id, seq: d.seq, status: d.seq % 2 === 0 ? 'encoding' : 'probing' }));
        for (const id of ['a', 'b', 'c']) {
          const seqs = deliveries.filter((d) => d.id === id).map((d) => d.seq);
          expect(v.get(id)?.seq).toBe(seqs.length > 0 ? Math.max(...seqs) : undefined);
        }
      }),
    );
  });
});

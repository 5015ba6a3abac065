import { describe, expect, it } from 'vitest';
import { SnapshotLoader } from './snapshot-loader.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('SnapshotLoader', () => {
  it('runs one more read after the current one when asked during it, however often', async () => {
    const starts: number[] = [];
    const first = gate();
    let calls = 0;
    const loader = new SnapshotLoader(
      async () => {
        starts.push(++calls);
        if (calls === 1) await first.opened;
      },
      () => {},
    );
    const done = loader.request();
    loader.request();
    loader.request();
    loader.request();
    expect(starts).toEqual([1]);
    first.open();
    await done;
    expect(starts).toEqual([1, 2]);
  });

  it('reports a failed read and keeps working', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const loader = new SnapshotLoader(
      async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
      (err) => errors.push(err),
    );
    await loader.request();
    await loader.request();
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('reads nothing more once stopped', async () => {
    let calls = 0;
    const loader = new SnapshotLoader(
      async () => {
        calls++;
      },
      () => {},
    );
    loader.stop();
    await loader.request();
    expect(calls).toBe(0);
  });
});

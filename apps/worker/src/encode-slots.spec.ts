import { describe, expect, it } from 'vitest';
import { EncodeSlots } from './encode-slots.js';
import { SlotsClosedError } from './run.errors.js';

describe('EncodeSlots', () => {
  it('lets `size` holders in at once and the next waiter in when one releases, in order', async () => {
    const slots = new EncodeSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    await new Promise((r) => setImmediate(r));
    expect({ busy: slots.busy, waiting: slots.waiting, order }).toEqual({ busy: 2, waiting: 2, order: [] });
    a();
    a(); // releasing twice frees one slot only
    await c;
    await new Promise((r) => setImmediate(r));
    expect({ busy: slots.busy, waiting: slots.waiting, order }).toEqual({ busy: 2, waiting: 1, order: ['c'] });
    b();
    (await c)();
    (await d)();
    expect({ busy: slots.busy, waiting: slots.waiting, order }).toEqual({ busy: 0, waiting: 0, order: ['c', 'd'] });
  });

  it('drops a waiter whose signal aborts, with the signal reason, and gives its turn to the next', async () => {
    const slots = new EncodeSlots(1);
    const held = await slots.acquire();
    const controller = new AbortController();
    const cancelled = slots.acquire(controller.signal);
    const next = slots.acquire();
    controller.abort(new Error('cancelled by the customer'));
    await expect(cancelled).rejects.toThrow('cancelled by the customer');
    expect(slots.waiting).toBe(1);
    held();
    (await next)();
    expect(slots.busy).toBe(0);
  });

  it('refuses waiting and new requests after close, while running holders keep their slots', async () => {
    const slots = new EncodeSlots(1);
    const held = await slots.acquire();
    const waiting = slots.acquire();
    slots.close();
    await expect(waiting).rejects.toBeInstanceOf(SlotsClosedError);
    await expect(slots.acquire()).rejects.toBeInstanceOf(SlotsClosedError);
    expect(slots.busy).toBe(1);
    held();
    expect(slots.busy).toBe(0);
  });

  it('tryAcquire takes a free slot at once and gives nothing when all are busy or closed', () => {
    const slots = new EncodeSlots(1);
    const release = slots.tryAcquire();
    expect(release).toBeTypeOf('function');
    expect(slots.tryAcquire()).toBeUndefined();
    release!();
    slots.close();
    expect(slots.tryAcquire()).toBeUndefined();
  });
});

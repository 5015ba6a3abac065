import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Compensations } from './compensations.js';

const silent = pino({ level: 'silent' });
const away = () => new Error("Stream isn't writeable and enableOfflineQueue options is false");

describe('Compensations', () => {
  it('sends an undo before run() returns, and keeps one Redis could not take until a retry gets it through', async () => {
    const c = new Compensations(silent);
    let up = false;
    const done: string[] = [];
    const undo = (name: string) => () => {
      done.push(`sent ${name}`);
      return up ? Promise.resolve() : Promise.reject(away());
    };
    const first = c.run('a', undo('a'));
    expect(done).toEqual(['sent a']); // written synchronously: it queues behind the write it undoes
    await first;
    await c.run('b', undo('b'));
    expect(c.size).toBe(2);
    await c.retry(); // still away: stops at the first
    expect(c.size).toBe(2);
    expect(done).toEqual(['sent a', 'sent b', 'sent a']);
    up = true;
    await c.retry();
    expect(c.size).toBe(0);
    c.stop();
  });

  it('drops an undo that fails for another reason than Redis being away, and one past the limit', async () => {
    const c = new Compensations(silent, 1);
    await c.run('bug', () => Promise.reject(new Error('ERR wrong number of arguments')));
    expect(c.size).toBe(0);
    await c.run('one', () => Promise.reject(away()));
    await c.run('two', () => Promise.reject(away()));
    expect(c.size).toBe(1);
    c.stop();
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.js';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, sink };
}

describe('createLogger', () => {
  it('redacts secrets wherever a caller puts them', () => {
    const { lines, sink } = capture();
    const logger = createLogger({ name: 'test', level: 'info' }, sink);
    logger.info(
      { req: { headers: { authorization: 'Bearer s3cret-key' } }, pusher: { secret: 'topsecret' }, apiKey: 'k-123' },
      'hello',
    );
    const out = lines.join('');
    expect(out).toContain('hello');
    expect(out).not.toContain('s3cret-key');
    expect(out).not.toContain('topsecret');
    expect(out).not.toContain('k-123');
  });

  it('writes JSON lines with the app name and honours the level', () => {
    const { lines, sink } = capture();
    const logger = createLogger({ name: 'worker', level: 'warn' }, sink);
    logger.info('dropped');
    logger.warn({ jobId: 'j1' }, 'kept');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ app: 'worker', msg: 'kept', jobId: 'j1' });
  });
});

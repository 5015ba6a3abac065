import { describe, expect, it } from 'vitest';
import { KilnError, kilnErrorCode } from './kiln.errors.js';

class WidgetMissingError extends KilnError {
  readonly code = 'widget_missing';
}

describe('KilnError', () => {
  it("carries the subclass's explicit code, its class name and the cause", () => {
    const cause = new Error('ENOENT');
    const err = new WidgetMissingError('no widget here', { cause });
    expect({ name: err.name, code: err.code, message: err.message, cause: err.cause }).toEqual({
      name: 'WidgetMissingError',
      code: 'widget_missing',
      message: 'no widget here',
      cause,
    });
    expect(err).toBeInstanceOf(Error);
  });

  it('gives a code only for Kiln errors', () => {
    expect(kilnErrorCode(new WidgetMissingError('x'))).toBe('widget_missing');
    expect(kilnErrorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
    expect(kilnErrorCode('a string')).toBeUndefined();
  });
});

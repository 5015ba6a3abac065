import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { apiKeys, bool, ConfigError, csv, loadConfig, port } from './index.js';

describe('loadConfig', () => {
  const schema = z.object({ PORT: port(3000), FLAG: bool(false), LIST: csv.default([]), KEYS: apiKeys });

  it('applies defaults and treats empty strings as unset', () => {
    const c = loadConfig(schema, { PORT: '', KEYS: 'acme:0123456789abcdef' });
    expect(c.PORT).toBe(3000);
    expect(c.FLAG).toBe(false);
    expect(c.KEYS.get('0123456789abcdef')).toBe('acme');
  });

  it('names every bad variable at once', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { PORT: 'http', FLAG: 'maybe', KEYS: 'nocolon' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const vars = (caught as ConfigError).issues.map((i) => i.variable).sort();
    expect(vars).toEqual(['FLAG', 'KEYS', 'PORT']);
    expect((caught as ConfigError).message).toMatch(/PORT: must be a port number/);
  });

  it('rejects a short key and a missing key list', () => {
    expect(() => loadConfig(schema, { KEYS: 'acme:short' })).toThrow(/KEYS: .*at least 16/);
    expect(() => loadConfig(schema, {})).toThrow(/KEYS: is required/);
    expect(() => loadConfig(schema, { KEYS: 'Uploads:0123456789abcdef' })).toThrow(
      /KEYS: customer id "Uploads" is reserved/,
    );
  });

  it('splits lists and trims entries', () => {
    expect(loadConfig(schema, { KEYS: 'a:0123456789abcdef', LIST: ' /a, ,/b ' }).LIST).toEqual(['/a', '/b']);
  });
});

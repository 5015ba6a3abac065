import { describe, expect, it } from 'vitest';
import { renderError } from './error-render.js';
import { ApiError, apiErrorFrom } from '@kiln/client';
import { UsageError } from './errors.js';

describe('renderError', () => {
  it("shows the API's message with status and code, and each field path the message does not name", () => {
    const err = new ApiError(400, 'the request is invalid', 'invalid_request', [
      { path: 'outputs.0.preset', message: 'unknown preset' },
      { path: 'input', message: 'input must be an http(s):// URL or a file:// path' },
    ]);
    const r = renderError(err);
    expect(r.exitCode).toBe(1);
    expect(r.text).toBe(
      'error: the request is invalid (HTTP 400 invalid_request)\n  outputs.0.preset: unknown preset\n  input: input must be an http(s):// URL or a file:// path\n',
    );
    expect(r.json).toEqual({
      error: { status: 400, code: 'invalid_request', message: 'the request is invalid', fields: err.fields },
    });
  });

  it('does not repeat a field the message already spells out', () => {
    const err = new ApiError(400, 'outputs.0.preset: unknown preset; input: missing', 'invalid_request', [
      { path: 'outputs.0.preset', message: 'unknown preset' },
      { path: 'metadata.k', message: 'too long' },
    ]);
    expect(renderError(err).text).toBe(
      'error: outputs.0.preset: unknown preset; input: missing (HTTP 400 invalid_request)\n  metadata.k: too long\n',
    );
  });

  it('exits 2 for usage errors and 1 for anything else', () => {
    expect(renderError(new UsageError('missing API key: pass --key <key> or set KILN_API_KEY'))).toMatchObject({
      exitCode: 2,
      text: expect.stringContaining('--key <key> or set KILN_API_KEY'),
    });
    expect(renderError(new Error('boom'))).toEqual({
      exitCode: 1,
      text: 'error: boom\n',
      json: { error: { message: 'boom' } },
    });
    expect(renderError(new ApiError(0, 'could not reach the API at http://h (ECONNREFUSED)')).text).toBe(
      'error: could not reach the API at http://h (ECONNREFUSED)\n',
    );
  });
});

describe('apiErrorFrom', () => {
  it('reads code, message and fields from the API error body', async () => {
    const res = new Response(
      JSON.stringify({
        error: { code: 'conflict', message: 'job is completed', fields: [{ path: 'id', message: 'x' }] },
      }),
      { status: 409 },
    );
    const err = await apiErrorFrom(res);
    expect(err).toMatchObject({
      status: 409,
      code: 'conflict',
      message: 'job is completed',
      fields: [{ path: 'id', message: 'x' }],
    });
  });

  it('falls back to the status line when the body is not JSON', async () => {
    const err = await apiErrorFrom(
      new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    expect(err).toMatchObject({
      status: 502,
      code: undefined,
      message: 'the API answered 502 Bad Gateway',
      fields: [],
    });
    expect((await apiErrorFrom(new Response('', { status: 401 }))).message).toBe('the API key was not accepted');
  });
});

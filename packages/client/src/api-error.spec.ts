import { describe, expect, it } from 'vitest';
import { readApiError } from './api-error.js';

describe('readApiError', () => {
  it("reads the API's code, message and fields, joining array paths with dots", async () => {
    const res = new Response(
      JSON.stringify({
        error: {
          code: 'validation_failed',
          message: 'bad body',
          fields: [
            { path: ['outputs', 0, 'preset'], message: 'unknown preset' },
            { path: 'input', message: 'not a URL' },
            'junk',
          ],
        },
      }),
      {
        status: 400,
        statusText: 'Bad Request',
      },
    );
    expect(await readApiError(res)).toEqual({
      status: 400,
      statusText: 'Bad Request',
      code: 'validation_failed',
      message: 'bad body',
      fields: [
        { path: 'outputs.0.preset', message: 'unknown preset' },
        { path: 'input', message: 'not a URL' },
      ],
    });
  });

  it('gives no message, code or fields for a body that is not the API JSON', async () => {
    const html = await readApiError(
      new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    expect(html).toEqual({ status: 502, statusText: 'Bad Gateway', code: undefined, message: undefined, fields: [] });
    const other = await readApiError(
      new Response(JSON.stringify({ error: { message: '', code: 7, fields: 'x' } }), { status: 500 }),
    );
    expect(other).toMatchObject({ code: undefined, message: undefined, fields: [] });
  });
});

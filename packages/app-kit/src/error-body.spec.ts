import { createLogger } from '@kiln/logger';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { errorBody, jsonErrorHandler, notFoundHandler, readOnlyMethods } from './error-body.js';

const silent = createLogger({ name: 'test', level: 'silent' });

describe('errorBody', () => {
  it('puts details beside code and message', () => {
    expect(errorBody('invalid', 'bad input', { fields: [] })).toEqual({
      error: { code: 'invalid', message: 'bad input', fields: [] },
    });
  });
});

describe('error middleware', () => {
  const app = express();
  app.use(readOnlyMethods);
  app.get('/big', () => {
    throw Object.assign(new Error('too big'), { type: 'entity.too.large', status: 413 });
  });
  app.get('/client', () => {
    throw Object.assign(new Error('aborted'), { status: 400 });
  });
  app.get('/boom', () => {
    throw new Error('secret internals');
  });
  app.use(notFoundHandler);
  app.use(jsonErrorHandler(silent));

  it('answers unknown routes 404 in the one body', async () => {
    const res = await request(app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope' } });
  });

  it('answers other methods than GET and HEAD 405 with Allow', async () => {
    const res = await request(app).post('/nope');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.body.error.code).toBe('method_not_allowed');
  });

  it('maps a body over the limit to 413, client errors to their status, the rest to a 500 without internals', async () => {
    expect((await request(app).get('/big')).body.error.code).toBe('body_too_large');
    expect((await request(app).get('/client')).status).toBe(400);
    const boom = await request(app).get('/boom');
    expect(boom.status).toBe(500);
    expect(boom.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});

import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './hash-route.js';

describe('parseRoute', () => {
  it('reads a job detail, the webhooks page, and falls back to the list', () => {
    expect(parseRoute('#/jobs/0b9c-1')).toEqual({ view: 'job', id: '0b9c-1' });
    expect(parseRoute('#/jobs/0b9c-1/')).toEqual({ view: 'job', id: '0b9c-1' });
    expect(parseRoute('#/webhooks')).toEqual({ view: 'webhooks' });
    for (const hash of ['', '#', '#/', '#/jobs', '#/jobs/', '#/nope', '#/jobs/a/b', '#/jobs/%E0%A4%A'])
      expect(parseRoute(hash), hash).toEqual({ view: 'jobs' });
  });

  it('round-trips every route through its hash, escaping the id', () => {
    for (const route of [{ view: 'jobs' }, { view: 'webhooks' }, { view: 'job', id: 'a b/c?' }] as const)
      expect(parseRoute(routeHash(route))).toEqual(route);
    expect(routeHash({ view: 'job', id: 'a b' })).toBe('#/jobs/a%20b');
  });
});

import type { RequestHandler } from 'express';
import { NotFoundError, ViewerTokenScopeError } from '../http.errors.js';

/** Which viewer tokens a route takes: any, customer tokens only, or job tokens for their own job (`:id`). */
type ViewerRouteScope = 'any' | 'customer' | 'job';

/**
 * The `/v1` routes a viewer token may call (paths relative to `/v1`, case-insensitive as Express
 * routes them); everything else answers 403 `viewer_token_scope`.
 */
const VIEWER_ROUTES: readonly { method: string; path: RegExp; scope: ViewerRouteScope }[] = [
  { method: 'GET', path: /^\/me\/?$/i, scope: 'any' },
  { method: 'GET', path: /^\/jobs\/?$/i, scope: 'customer' },
  { method: 'GET', path: /^\/jobs\/([^/]+)\/?$/i, scope: 'job' },
  { method: 'GET', path: /^\/jobs\/([^/]+)\/outputs\/.+$/i, scope: 'job' },
  { method: 'POST', path: /^\/realtime\/auth\/?$/i, scope: 'any' },
];

/** A route a viewer token may call, with the job id its path names; undefined for any other. */
export function viewerRouteOf(
  method: string,
  path: string,
): { scope: ViewerRouteScope; jobId: string | undefined } | undefined {
  const asGet = method === 'HEAD' ? 'GET' : method;
  for (const route of VIEWER_ROUTES) {
    const m = route.method === asGet ? route.path.exec(path) : null;
    if (!m) continue;
    let jobId: string | undefined;
    try {
      jobId = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    } catch {
      return undefined; // not a path Express would route either
    }
    return { scope: route.scope, jobId };
  }
  return undefined;
}

/**
 * Restricts a request authenticated with a viewer token (after the bearer auth) to the viewer
 * routes: another route is a 403 `viewer_token_scope`, the customer-wide list with a job's token
 * too; a job's token reading another job is a 404, as another customer's job is (it learns
 * nothing of the customer's other jobs, not even that they exist). API keys pass untouched.
 */
export function viewerScope(): RequestHandler {
  return (req, _res, next) => {
    const viewer = req.viewer;
    if (!viewer) return next();
    const route = viewerRouteOf(req.method, req.path);
    if (!route || (route.scope === 'customer' && viewer.jobId !== undefined))
      throw new ViewerTokenScopeError(
        viewer.jobId === undefined
          ? 'a viewer token reads jobs and authorizes its channel only'
          : "a job's viewer token reads that job and authorizes its channel only",
      );
    if (route.scope === 'job' && viewer.jobId !== undefined && route.jobId !== viewer.jobId)
      throw new NotFoundError('job');
    next();
  };
}

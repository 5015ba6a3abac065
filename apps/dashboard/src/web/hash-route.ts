/** Which view the page shows; kept in the URL's hash so a view can be linked and reloaded. */
export type Route = { view: 'jobs' } | { view: 'job'; id: string } | { view: 'webhooks' };

/**
 * The route a `location.hash` names: `#/jobs/<id>` a job's detail, `#/webhooks` the webhook
 * endpoints, anything else (empty, `#/`, unknown) the job list.
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '');
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1] !== undefined) {
    try {
      const id = decodeURIComponent(job[1]);
      if (id.trim().length > 0) return { view: 'job', id };
    } catch {
      // A malformed escape names no job: show the list.
    }
  }
  if (path === '/webhooks') return { view: 'webhooks' };
  return { view: 'jobs' };
}

/** The hash of a route, for links (`href`) and `location.hash`. */
export function routeHash(route: Route): string {
  if (route.view === 'job') return `#/jobs/${encodeURIComponent(route.id)}`;
  if (route.view === 'webhooks') return '#/webhooks';
  return '#/';
}

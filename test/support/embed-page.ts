import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

const PUSHER_JS = createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.min.js');

/** A customer's web site on an origin of its own: the pages a viewer opens, embedding `<kiln-progress>`. */
export interface CustomerSite {
  /** `http://127.0.0.1:<port>`: not the API's origin. */
  origin: string;
  /** The page embedding `<kiln-progress job token autoplay muted>`, loading the element from the API. */
  watchUrl(jobId: string, token: string): string;
  /** A page with pusher-js alone (as `window.Pusher`), for subscriptions the element would never try. */
  blankUrl(): string;
  stop(): Promise<void>;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * What the customer's page is: the element's script from the API, the element with the job and
 * the viewer token its backend minted, and a listener keeping every `kiln-*` event the element
 * dispatches (in `window.__kilnEvents`, for the test to read).
 */
function watchPage(apiUrl: string, jobId: string, token: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Your upload</title>
<script type="module" src="${escape(apiUrl)}/embed/kiln-progress.js"></script>
<script>
  window.__kilnEvents = [];
  for (const type of ['kiln-progress', 'kiln-completed', 'kiln-failed', 'kiln-token-expired'])
    document.addEventListener(type, (e) => {
      const d = e.detail || {};
      window.__kilnEvents.push({ type, jobId: d.jobId, status: d.status, percent: d.percent, output: d.output && d.output.name, seq: d.job && d.job.seq });
    });
</script></head>
<body><h1>Your video</h1>
<kiln-progress job="${escape(jobId)}" token="${escape(token)}" autoplay muted></kiln-progress>
</body></html>`;
}

/** Starts the customer's site on loopback; its pages load the element from `apiUrl`. */
export async function startCustomerSite(apiUrl: string): Promise<CustomerSite> {
  const pusherJs = await readFile(PUSHER_JS);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const html = (body: string) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    if (url.pathname === '/watch')
      return html(watchPage(apiUrl, url.searchParams.get('job') ?? '', url.searchParams.get('token') ?? ''));
    if (url.pathname === '/blank')
      return html('<!doctype html><html><head><script src="/pusher.min.js"></script></head><body></body></html>');
    if (url.pathname === '/pusher.min.js')
      return void res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(pusherJs);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    watchUrl: (jobId, token) => `${origin}/watch?${new URLSearchParams({ job: jobId, token }).toString()}`,
    blankUrl: () => `${origin}/blank`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

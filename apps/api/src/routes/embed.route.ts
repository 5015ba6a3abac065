import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** Where `@kiln/client` builds its browser bundle (`kiln-progress.js` and the chunks it imports). */
function clientEmbedDir(): string {
  return path.dirname(fileURLToPath(import.meta.resolve('@kiln/client/embed/kiln-progress.js')));
}

/** The entry keeps its name across releases, so browsers re-check it often; chunks are named by content. */
const ENTRY_CACHE = 'public, max-age=300, stale-while-revalidate=86400';
const CHUNK_CACHE = 'public, max-age=31536000, immutable';

/**
 * `GET /embed/kiln-progress.js` (and its chunks): the `<kiln-progress>` element as an ES module a
 * customer's page loads with `<script type="module" src="<api>/embed/kiln-progress.js">`. No auth
 * (it is public code; the viewer token it is given is what grants access), CORS for any origin
 * (module scripts are fetched with CORS), and a cross-origin resource policy so any page may load it.
 */
export function embedRouter(dir: string = clientEmbedDir()): Router {
  const router = Router();
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders(res, file) {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        res.setHeader('Cache-Control', path.basename(file).startsWith('kiln-progress.') ? ENTRY_CACHE : CHUNK_CACHE);
      },
    }),
  );
  return router;
}

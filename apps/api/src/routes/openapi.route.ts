import { Router } from 'express';
import { DOCS_CSP, renderDocsPage } from '../openapi/docs-page.js';
import type { OpenApiDocument } from '../openapi/openapi.document.js';

/** `GET /openapi.json` and `GET /docs` (its HTML rendering); public, like the API's reference. */
export function openApiRouter(doc: OpenApiDocument): Router {
  const router = Router();
  const page = renderDocsPage(doc);
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  router.get('/docs', (_req, res) => {
    // Replaces the API's "nothing allowed" policy with one that lets the page's own styles in.
    res.set('Content-Security-Policy', DOCS_CSP).type('html').send(page);
  });
  return router;
}

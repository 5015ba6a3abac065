import { fileURLToPath } from 'node:url';
import { type RequestHandler, Router } from 'express';
import { adminPageCsp } from '../middleware/security-headers.middleware.js';
import type { FleetService } from '../services/fleet.service.js';

/** Where the fleet page's files are: `apps/api/public/admin`, the same from `src/routes` and `dist/routes`. */
const PAGE_DIR = fileURLToPath(new URL('../../public/admin/', import.meta.url));

/** The fleet's JSON, for scripts and the fleet page. */
const FLEET_JSON_PATH = '/v1/admin/fleet';
/** The live fleet page for operators; its script is `<page>/fleet.js`. */
const FLEET_PAGE_PATH = '/admin/fleet';

/**
 * The fleet view behind the admin credentials (`auth`, the same basic auth as Bull Board):
 * `GET /v1/admin/fleet` (JSON) and the page at `/admin/fleet`, plain HTML and one script file
 * under the admin pages' CSP (scripts only from the API itself), polling the JSON every 2 s.
 */
export function fleetRouter(fleet: FleetService, auth: RequestHandler): Router {
  const router = Router();
  router.get(FLEET_JSON_PATH, auth, async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await fleet.view());
  });
  router.get(FLEET_PAGE_PATH, auth, adminPageCsp(), (req, res) => {
    // The page's links are relative to /admin/fleet: /admin/fleet/ would resolve them one level too deep.
    if (req.path.endsWith('/')) return res.redirect(301, '../fleet');
    res.sendFile('fleet.html', { root: PAGE_DIR, headers: { 'Cache-Control': 'no-store' } });
  });
  router.get(`${FLEET_PAGE_PATH}/fleet.js`, auth, (_req, res) => {
    res.sendFile('fleet.js', { root: PAGE_DIR, headers: { 'Cache-Control': 'no-store' } });
  });
  return router;
}

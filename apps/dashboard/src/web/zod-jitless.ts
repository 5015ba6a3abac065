import { config } from 'zod/mini';

// zod probes `new Function` when a schema is built, to compile fast parsers; under this page's CSP
// (no 'unsafe-eval') the probe fails and is reported as a CSP violation. Imported before
// @kiln/client, whose schemas are built when it loads, so the probe never runs.
config({ jitless: true });

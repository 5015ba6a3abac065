import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** In `vite` dev mode, answers /config.json like the dashboard server does. */
function devConfigJson(): Plugin {
  return {
    name: 'kiln-dev-config-json',
    configureServer(server) {
      server.middlewares.use('/config.json', (_req, res) => {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ apiUrl: process.env['KILN_API_URL'] ?? 'http://127.0.0.1:3000' }));
      });
    },
  };
}

export default defineConfig({
  root,
  publicDir: 'public',
  plugins: [devConfigJson()],
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    // Keep the favicon a file: an inlined data: URL would need img-src data: in the CSP.
    assetsInlineLimit: 0,
  },
  server: { port: 5173, strictPort: false },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The browser bundle of `<kiln-progress>` (ESM): one file the API serves at
 * `/embed/kiln-progress.js`, plus the hls.js chunk it imports only when a browser lacks native HLS.
 * tsc builds the package itself; this runs after it.
 */
export default defineConfig({
  // pusher-js and hls.js read process.env.NODE_ENV; library mode leaves it for a bundler, a page has none.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist/embed',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: fileURLToPath(new URL('src/kiln-progress.embed.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'kiln-progress.js',
    },
    rollupOptions: { output: { chunkFileNames: '[name]-[hash].js' } },
  },
});

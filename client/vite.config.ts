import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The client folder, so `build({ configFile })` works from any working directory. */
const clientRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * Where the dev server forwards API and socket traffic: the Fastify server from `npm run dev`.
 * Override with `HACKMESHI_SERVER_URL` when it runs elsewhere. The proxy deliberately keeps the
 * browser's Host header (no `changeOrigin`), so the server's same-origin check still sees
 * Origin and Host agree and no ALLOWED_ORIGINS entry is needed for the dev server.
 */
const serverUrl = process.env['HACKMESHI_SERVER_URL'] ?? 'http://localhost:3000';

export default defineConfig({
  root: clientRoot,
  resolve: {
    // Compile `shared/` from source, so the client never waits for (or drifts from) a build of it.
    alias: [
      {
        find: /^@hackmeshi\/shared$/,
        replacement: fileURLToPath(new URL('../shared/src/index.ts', import.meta.url)),
      },
    ],
  },
  // Vite 8 transforms TS/JSX with oxc, not esbuild; `esbuild.jsx*` options are ignored here.
  // Automatic runtime: `<div/>` compiles to `import { jsx } from 'preact/jsx-runtime'`.
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  server: {
    proxy: {
      '/api': serverUrl,
      '/healthz': serverUrl,
      '/socket.io': { target: serverUrl, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});

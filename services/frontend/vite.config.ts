import react from '@vitejs/plugin-react';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { configFromEnv, renderConfigScript } from './server/handler.mjs';

/**
 * Serves /config.js in `vite` (dev) and `vite preview` the way server.mjs does in production: from GATEWAY_URL and
 * API_KEY, read per request, never written into the bundle.
 */
function runtimeConfig(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    if (req.url?.split('?')[0] !== '/config.js') {
      next();
      return;
    }
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(renderConfigScript(configFromEnv(process.env)));
  };
  return {
    name: 'agentsystem-runtime-config',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export default defineConfig({
  plugins: [react(), runtimeConfig()],
  server: { port: 3000 },
  preview: { port: 3000 },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'server/**/*.test.{ts,mjs}'],
    environment: 'node', // component tests opt into jsdom with a @vitest-environment comment
    restoreMocks: true,
    unstubGlobals: true,
  },
});

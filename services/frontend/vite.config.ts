import react from '@vitejs/plugin-react';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { createApiProxy, isApiPath, proxyConfigFromEnv } from './server/apiProxy.mjs';

/**
 * /api/* in `vite` (dev) and `vite preview` as server.mjs does it in production: forwarded to GATEWAY_URL with API_KEY
 * added on the server, refused to other origins.
 */
function apiProxy(): Plugin {
  let proxy: ReturnType<typeof createApiProxy> | undefined;
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    if (!isApiPath(req.url?.split('?')[0] ?? '')) {
      next();
      return;
    }
    proxy ??= createApiProxy(proxyConfigFromEnv(process.env));
    proxy(req, res);
  };
  return {
    name: 'agentsystem-api-proxy',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export default defineConfig({
  plugins: [react(), apiProxy()],
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

// Production server for the AgentSystem frontend: serves dist/ (built by `npm run build`), /healthz, and /api/* on the
// gateway with the API key added. Zero dependencies, so the runtime image needs only node and dist/. Configuration
// (all optional):
//   PORT           port to listen on                                  (default 3000)
//   HOST           address to bind                                    (default 127.0.0.1: whoever reaches it uses API_KEY)
//   GATEWAY_URL    the gateway, as this server reaches it             (default http://localhost:8080)
//   API_KEY        added to /api/* calls as X-Api-Key; never sent to browsers (default empty: no header)
//   ALLOWED_HOSTS  host names the UI is served under besides localhost and IP addresses, comma-separated (*: any; see README)
//   IGNORE_SIGINT  1: keep ignoring SIGINT, as the starting process does (server/stopSignals.mjs)

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyConfigFromEnv } from './server/apiProxy.mjs';
import { createHandler } from './server/handler.mjs';
import { listenAddressFromEnv } from './server/listenAddress.mjs';
import { stopOnSignals } from './server/stopSignals.mjs';

const distDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
if (!fs.existsSync(path.join(distDir, 'index.html'))) {
  console.error(`frontend: ${path.join(distDir, 'index.html')} not found: run \`npm run build\` first`);
  process.exit(1);
}

let address;
let config;
try {
  address = listenAddressFromEnv(process.env);
  config = proxyConfigFromEnv(process.env);
} catch (error) {
  console.error(`frontend: ${/** @type {Error} */ (error).message}`);
  process.exit(1);
}
const { host, port } = address;

const server = http.createServer(createHandler({ distDir, env: process.env }));
server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts

server.on('error', (error) => {
  console.error(`frontend: cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});

server.listen(port, host, () => {
  const bound = server.address();
  const shown = typeof bound === 'object' && bound !== null ? `${bound.address}:${bound.port}` : `${host}:${port}`;
  const hosts = ['localhost and IP addresses', ...config.allowedHosts].join(', ');
  console.log(
    `frontend: listening on http://${shown} (/api -> ${config.gatewayUrl.href.replace(/\/+$/, '')}, api key ${config.apiKey ? 'set' : 'not set'}, hosts ${hosts})`,
  );
});

stopOnSignals(server, { env: process.env, proc: process, log: console.log });

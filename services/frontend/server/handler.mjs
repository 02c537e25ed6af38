// Request handling for the frontend's production server (server.mjs).
// Zero dependencies: node:http types, node:fs and node:path only, so the runtime image needs nothing but node and dist/.
//
// Routes:
//   GET /healthz    -> 200 {"status":"Healthy"}
//   GET /readyz     -> 200 when dist/index.html is there to serve, else 503 (the gateway is checked by the page, through
//                      /api/info, not here: a gateway that is down must not take the page away)
//   /api/*          -> the gateway, with the API key added (server/apiProxy.mjs); every method
//   GET /<file>     -> the file from dist/ with its content type
//   GET /<route>    -> dist/index.html (SPA fallback) for paths that are not files
// Paths that resolve outside dist/ are answered 404. Only GET and HEAD are allowed outside /api.

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TIMEOUTS, createApiProxy, isApiPath, proxyConfigFromEnv } from './apiProxy.mjs';

/** @type {Readonly<Record<string, string>>} */
export const CONTENT_TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
});

const FALLBACK_CONTENT_TYPE = 'application/octet-stream';

/**
 * @typedef {object} HandlerOptions
 * @property {string} distDir                             Directory holding the built app (index.html, assets/).
 * @property {Record<string, string | undefined>} [env]  GATEWAY_URL, API_KEY, ALLOWED_HOSTS; process.env by default.
 * @property {import('./apiProxy.mjs').Timeouts} [timeouts]  Of the calls to the gateway (tests shorten them).
 * @property {(line: string) => void} [log]              Where refused cross-origin requests are reported.
 */

/**
 * @param {string} filePath
 * @returns {string}
 */
export function contentTypeFor(filePath) {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? FALLBACK_CONTENT_TYPE;
}

/**
 * Maps a URL path onto a file path inside distDir, or null when it cannot be served from there: malformed percent
 * encoding, NUL bytes, or a path that resolves outside distDir (traversal through `..`, encoded or not).
 * @param {string} distDir   absolute directory
 * @param {string} urlPath   the path part of the request target, still percent-encoded
 * @returns {string | null}
 */
export function resolveInside(distDir, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  // Refuse any attempt to climb, even one that would land back inside (/assets/../index.html): no client needs it.
  if (decoded.split(/[\\/]/).includes('..')) return null;
  const root = path.resolve(distDir);
  const resolved = path.resolve(root, '.' + (decoded.startsWith('/') ? '' : '/') + decoded);
  // Belt and braces: whatever the path became, it must still be below root.
  const relative = path.relative(root, resolved);
  if (relative === '..' || relative.startsWith('..' + path.sep) || path.isAbsolute(relative)) return null;
  return resolved;
}

/**
 * @param {string} filePath
 * @returns {fs.Stats | null}
 */
function statFile(filePath) {
  try {
    const stats = fs.statSync(filePath);
    return stats.isFile() ? stats : null;
  } catch {
    return null;
  }
}

/**
 * Whether a path that matched no file should get index.html: client-side routes (/tasks/42) do, missing assets
 * (/assets/app-123.js, /favicon.ico) do not, so a stale asset URL fails loudly instead of receiving HTML.
 * @param {string} urlPath
 * @param {string | undefined} accept
 * @returns {boolean}
 */
function wantsSpaFallback(urlPath, accept) {
  const lastSegment = urlPath.slice(urlPath.lastIndexOf('/') + 1);
  return !lastSegment.includes('.') || (accept ?? '').includes('text/html');
}

/**
 * @param {string} filePath
 * @param {string} distDir
 * @returns {string}
 */
function cacheControlFor(filePath, distDir) {
  // Vite puts content-hashed files under assets/: they never change, everything else may.
  const relative = path.relative(distDir, filePath).split(path.sep);
  return relative[0] === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} contentType
 * @param {string} body
 * @param {boolean} head
 * @param {Record<string, string>} [headers]
 */
function send(res, status, contentType, body, head, headers = {}) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(head ? undefined : body);
}

/** No other site may frame the page (clickjacking: inside a frame its own fetches are same-origin). */
const NO_FRAMING = { 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'" };

/**
 * @param {import('node:http').ServerResponse} res
 * @param {string} filePath
 * @param {fs.Stats} stats
 * @param {string} cacheControl
 * @param {boolean} head
 */
function sendFile(res, filePath, stats, cacheControl, head) {
  res.writeHead(200, {
    'Content-Type': contentTypeFor(filePath),
    'Content-Length': stats.size,
    'Cache-Control': cacheControl,
    'Last-Modified': stats.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
    ...NO_FRAMING,
  });
  if (head) {
    res.end();
    return;
  }
  const stream = fs.createReadStream(filePath);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Creates the request listener for node:http's createServer.
 * @param {HandlerOptions} options
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function createHandler(options) {
  const distDir = path.resolve(options.distDir);
  const indexHtml = path.join(distDir, 'index.html');
  // Read once (the environment of a running process does not change); throws when GATEWAY_URL is not usable.
  const api = createApiProxy({
    ...proxyConfigFromEnv(options.env ?? process.env),
    timeouts: options.timeouts ?? DEFAULT_TIMEOUTS,
    ...(options.log ? { log: options.log } : {}),
  });

  return (req, res) => {
    const target = req.url ?? '/';
    const queryStart = target.search(/[?#]/);
    const urlPath = queryStart === -1 ? target : target.slice(0, queryStart);
    if (isApiPath(urlPath)) {
      api(req, res);
      return;
    }

    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (method !== 'GET' && !head) {
      send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', false, { Allow: 'GET, HEAD' });
      return;
    }

    if (urlPath === '/healthz') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ status: 'Healthy' }), head, {
        'Cache-Control': 'no-store',
      });
      return;
    }

    if (urlPath === '/readyz') {
      const ready = fs.existsSync(path.join(distDir, 'index.html'));
      send(res, ready ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify({ status: ready ? 'Healthy' : 'Unhealthy' }), head, {
        'Cache-Control': 'no-store',
      });
      return;
    }

    const filePath = resolveInside(distDir, urlPath);
    if (filePath === null) {
      send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n', head);
      return;
    }

    const stats = statFile(filePath);
    if (stats !== null) {
      sendFile(res, filePath, stats, cacheControlFor(filePath, distDir), head);
      return;
    }

    if (wantsSpaFallback(urlPath, req.headers.accept)) {
      const indexStats = statFile(indexHtml);
      if (indexStats !== null) {
        sendFile(res, indexHtml, indexStats, 'no-cache', head);
        return;
      }
      send(res, 503, 'text/plain; charset=utf-8', 'index.html is missing: run `npm run build` first\n', head);
      return;
    }

    send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n', head);
  };
}

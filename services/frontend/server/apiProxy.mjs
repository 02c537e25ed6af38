// Same-origin API for the browser: /api/* is forwarded to ${GATEWAY_URL}/api/* with X-Api-Key: ${API_KEY} added here,
// so the key never reaches a browser. Only the frontend's own pages may use it: a request whose Origin is another
// origin, or that the browser marks as cross-site (Sec-Fetch-Site), is refused with 403 before anything is forwarded.
// Answers stream through unbuffered (server-sent events arrive event by event); a client that goes away aborts the
// upstream request. The frontend's nginx image does the same (keep the two in step).

import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';

/** Requests under this path go to the gateway. */
export const API_PREFIX = '/api';
/** Gateway address when GATEWAY_URL is not set. */
export const DEFAULT_GATEWAY_URL = 'http://localhost:8080';
export const API_KEY_HEADER = 'x-api-key';

/** @typedef {{ readonly connectMs: number, readonly responseMs: number, readonly idleMs: number }} Timeouts */

/** @type {Timeouts} */
export const DEFAULT_TIMEOUTS = Object.freeze({
  /**
   * Until the TCP connection to the gateway is up: a gateway that is down answers 502 quickly. Shorter than the page's
   * health check (HEALTH_TIMEOUT_MS, src/GatewayStatus.tsx; src/App.test.tsx holds them apart), so this 502 reaches it.
   */
  connectMs: 5_000,
  /** Until the gateway's response headers arrive; longer than the gateway's own upstream timeout (30 s), so its 504 wins. */
  responseMs: 60_000,
  /** Silence on an answer being streamed (event streams send a keep-alive every 15 s). */
  idleMs: 300_000,
});

// RFC 9110 7.6.1: these describe one connection, not the message. The credentials and cookies of the browser are not
// the gateway's business: the key is set below, and no cookie of this origin means anything there.
const NOT_FORWARDED = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
  API_KEY_HEADER, 'authorization', 'cookie',
]);
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'set-cookie']);

/**
 * @typedef {object} ApiProxyConfig
 * @property {URL} gatewayUrl               where /api/* is forwarded to (its path, if any, is kept as a prefix)
 * @property {string} apiKey                sent as X-Api-Key; empty: none is sent
 * @property {readonly string[]} allowedHosts  host names the page may be served under besides localhost and IP addresses; "*": any (see README)
 * @property {Timeouts} [timeouts]
 * @property {(line: string) => void} [log]  where refusals are reported; console.warn by default
 */

/**
 * Reads GATEWAY_URL, API_KEY and ALLOWED_HOSTS; throws an Error saying what is wrong with GATEWAY_URL.
 * @param {Record<string, string | undefined>} env
 * @returns {ApiProxyConfig}
 */
export function proxyConfigFromEnv(env) {
  const text = (env.GATEWAY_URL ?? '').trim() || DEFAULT_GATEWAY_URL;
  let gatewayUrl;
  try {
    gatewayUrl = new URL(text);
  } catch {
    throw new Error(`GATEWAY_URL must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}, got "${text}"`);
  }
  if (gatewayUrl.protocol !== 'http:' && gatewayUrl.protocol !== 'https:') {
    throw new Error(`GATEWAY_URL must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}, got "${text}"`);
  }
  const allowedHosts = (env.ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  if (allowedHosts.length > 1 && allowedHosts.includes('*')) {
    // As the nginx image's entrypoint: "*" means every host only on its own.
    throw new Error(`ALLOWED_HOSTS: "*" (every host) stands alone, got "${env.ALLOWED_HOSTS}"`);
  }
  return { gatewayUrl, apiKey: (env.API_KEY ?? '').trim(), allowedHosts };
}

/** @param {string} urlPath */
export function isApiPath(urlPath) {
  return urlPath === API_PREFIX || urlPath.startsWith(`${API_PREFIX}/`);
}

/**
 * @param {string} hostHeader
 * @param {string} protocol  "http:" or "https:"
 * @returns {{ hostname: string, port: string } | null}
 */
function hostAndPort(hostHeader, protocol) {
  try {
    const url = new URL(`${protocol}//${hostHeader}`);
    return { hostname: url.hostname, port: url.port || (protocol === 'https:' ? '443' : '80') };
  } catch {
    return null;
  }
}

/**
 * Why a request may not use the API through this server, or null when it may. Browsers send Sec-Fetch-Site on every
 * request and Origin on every cross-origin one (and on same-origin ones that are not GET or HEAD); a client that sends
 * neither is not a browser page, and could reach the gateway without us. The page's own origin is the Host it was
 * requested under, whatever the scheme (a TLS proxy in front keeps the host).
 * @param {import('node:http').IncomingMessage} req
 * @param {readonly string[]} allowedHosts
 * @returns {string | null}
 */
export function crossOriginReason(req, allowedHosts) {
  const host = req.headers.host ?? '';
  const fetchSite = req.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return `the browser marked the request ${fetchSite} (Sec-Fetch-Site)`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let page;
    try {
      page = new URL(origin);
    } catch {
      return `its Origin "${origin}" is not this site`;
    }
    const own = hostAndPort(host, page.protocol);
    const theirs = hostAndPort(page.host, page.protocol);
    if (own === null || theirs === null || own.hostname !== theirs.hostname || own.port !== theirs.port) {
      return `its Origin ${origin} is not this site`;
    }
  }
  // DNS rebinding: a hostile name resolving to this server is "same origin" for the browser; only listed names are.
  const name = hostAndPort(host, 'http:')?.hostname ?? '';
  if (!hostAllowed(name, allowedHosts)) {
    return `the host "${host}" is not localhost, an IP address or a name in ALLOWED_HOSTS`;
  }
  return null;
}

/**
 * Whether the page may be served under host name `name` (lower case; an IPv6 address in brackets): localhost and IP
 * addresses always (no one else can point those here; rebinding needs a name its attacker controls), the names
 * ALLOWED_HOSTS lists besides, as the gateway's Gateway:AllowedHosts; "*" any.
 * @param {string} name
 * @param {readonly string[]} allowedHosts
 */
function hostAllowed(name, allowedHosts) {
  // nginx compares the host without its trailing dot ("localhost." is localhost); the URL parser keeps it.
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  return allowedHosts.includes('*') || allowedHosts.includes(host) || host === 'localhost' || isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} title
 * @param {string} detail
 */
export function sendProblem(res, status, title, detail) {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

/**
 * The path and query to ask the gateway for, or null when the request target leaves /api once dot segments
 * (`/api/../healthz`, also percent-encoded) are resolved: only the gateway's API is reachable through here.
 * @param {string} target
 * @returns {string | null}
 */
export function upstreamTarget(target) {
  let url;
  try {
    url = new URL(target, 'http://frontend.invalid');
  } catch {
    return null;
  }
  if (url.origin !== 'http://frontend.invalid' || !isApiPath(url.pathname)) return null;
  return url.pathname + url.search;
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {string} apiKey
 * @returns {Record<string, string | string[]>}
 */
function forwardedHeaders(req, apiKey) {
  const listed = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase()),
  );
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || listed.has(name) || name.startsWith('proxy-')) continue;
    headers[name] = value;
  }
  if (apiKey !== '') headers[API_KEY_HEADER] = apiKey;
  const client = req.socket.remoteAddress ?? '';
  const earlier = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = [earlier, client].filter((part) => part !== undefined && part !== '').join(', ');
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  return headers;
}

/**
 * @param {import('node:http').IncomingHttpHeaders} upstream
 * @returns {Record<string, string | string[]>}
 */
function returnedHeaders(upstream) {
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const [name, value] of Object.entries(upstream)) {
    // CORS answers are the gateway's to other origins; this API is same-origin only.
    if (value === undefined || NOT_RETURNED.has(name) || name.startsWith('access-control-')) continue;
    headers[name] = value;
  }
  // No other site may embed an answer (a <script src> of /api/...), whatever its content type.
  headers['cross-origin-resource-policy'] = 'same-origin';
  headers['x-content-type-options'] = 'nosniff';
  return headers;
}

/**
 * The request handler for /api/*.
 * @param {ApiProxyConfig} config
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function createApiProxy(config) {
  const timeouts = config.timeouts ?? DEFAULT_TIMEOUTS;
  const base = config.gatewayUrl.href.replace(/\/+$/, '');
  const transport = config.gatewayUrl.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true });
  const log = config.log ?? ((line) => console.warn(line));

  return (req, res) => {
    const refused = crossOriginReason(req, config.allowedHosts);
    if (refused !== null) {
      // One line per refusal: a page elsewhere trying this API is worth knowing about (and a wrong ALLOWED_HOSTS shows).
      log(`frontend: refused ${req.method} ${(req.url ?? '').split('?')[0]}: ${refused}`);
      sendProblem(res, 403, 'Cross-origin request refused', `This API is for the frontend's own pages: ${refused}.`);
      return;
    }
    const target = upstreamTarget(req.url ?? '/');
    if (target === null) {
      sendProblem(res, 404, 'Not Found', 'Only paths under /api/ reach the gateway.');
      return;
    }

    const upstream = transport.request(`${base}${target}`, {
      method: req.method,
      headers: forwardedHeaders(req, config.apiKey),
      agent,
    });
    /** @type {{ status: number, why: string } | null} */
    let gaveUp = null;
    const giveUp = (/** @type {number} */ status, /** @type {string} */ why) => {
      gaveUp = { status, why };
      upstream.destroy(new Error(why));
    };
    const responseTimer = setTimeout(() => giveUp(504, `no answer within ${timeouts.responseMs / 1000} s`), timeouts.responseMs);
    upstream.on('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => giveUp(502, `no connection within ${timeouts.connectMs / 1000} s`), timeouts.connectMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });

    upstream.on('response', (answer) => {
      clearTimeout(responseTimer);
      res.writeHead(answer.statusCode ?? 502, returnedHeaders(answer.headers));
      // Headers now, even when the body is an event stream that is quiet for a while.
      res.flushHeaders();
      answer.setTimeout(timeouts.idleMs, () => answer.destroy(new Error(`the gateway sent nothing for ${timeouts.idleMs / 1000} s`)));
      answer.on('error', () => res.destroy());
      answer.pipe(res);
    });

    upstream.on('error', (error) => {
      clearTimeout(responseTimer);
      if (res.destroyed) return; // the browser left first
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (gaveUp?.status === 504) {
        sendProblem(res, 504, 'The gateway did not answer in time', `The frontend server got ${gaveUp.why}.`);
        return;
      }
      const code = gaveUp?.why ?? /** @type {NodeJS.ErrnoException} */ (error).code ?? error.message;
      sendProblem(res, 502, 'The gateway is unreachable', `The frontend server could not reach the gateway (${code}): is it running, and is GATEWAY_URL right?`);
    });

    // The browser went away (a closed tab, a stopped stream): stop the upstream request too.
    res.on('close', () => {
      clearTimeout(responseTimer);
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
}

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { proxyConfigFromEnv, upstreamTarget } from './apiProxy.mjs';
import { createHandler } from './handler.mjs';
import { send } from './testClient';

/** What the fake gateway received. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const KEY = 'k-secret';
const TIMEOUTS = { connectMs: 1_000, responseMs: 400, idleMs: 5_000 };

let distDir: string;
let gateway: http.Server;
let gatewayPort: number;
/** Answers of the fake gateway by path; the default echoes what it received as JSON. */
const routes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
const seen: Seen[] = [];
/** What the frontend servers reported. */
const logged: string[] = [];
const servers: http.Server[] = [];

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** A frontend server (the real handler) in front of the fake gateway, or of `gatewayUrl`. */
async function frontend(env: Record<string, string> = {}): Promise<number> {
  const handler = createHandler({
    distDir,
    env: { GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`, API_KEY: KEY, ...env },
    timeouts: TIMEOUTS,
    log: (line) => logged.push(line),
  });
  return listen(http.createServer(handler));
}

beforeAll(async () => {
  distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'frontend-proxy-'));
  fs.writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>AgentSystem</title>');
  gateway = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const route = routes.get((req.url ?? '').split('?')[0]!);
      if (route) return route(req, res);
      res.writeHead(202, {
        'Content-Type': 'application/json',
        Location: '/api/tasks/t1',
        'Access-Control-Allow-Origin': '*',
        'Set-Cookie': 'gateway=1',
      });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  gatewayPort = await listen(gateway);
});

afterEach(() => {
  seen.length = 0;
  logged.length = 0;
  routes.clear();
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  fs.rmSync(distDir, { recursive: true, force: true });
});

describe('/api/* goes to the gateway with the key added', () => {
  it('forwards method, path, query and body, and answers with what the gateway said', async () => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks?page=2', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'idem-1' },
      body: '{"goal":"x"}',
    });

    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
    expect(answer.headers.location).toBe('/api/tasks/t1');
    const request = seen[0]!;
    expect([request.method, request.url, request.body]).toEqual(['POST', '/api/tasks?page=2', '{"goal":"x"}']);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['idempotency-key']).toBe('idem-1');
    expect(request.headers['x-api-key']).toBe(KEY);
    expect(request.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(request.headers['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
  });

  it('replaces a key the browser sent, and passes on none of its credentials or cookies', async () => {
    const port = await frontend();

    await send(port, '/api/tasks', { headers: { 'X-Api-Key': 'guess', Authorization: 'Bearer guess', Cookie: 'session=1' } });

    const headers = seen[0]!.headers;
    expect(headers['x-api-key']).toBe(KEY);
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
  });

  it('sends no key when none is configured', async () => {
    const port = await frontend({ API_KEY: '' });
    await send(port, '/api/tasks');
    expect(seen[0]!.headers['x-api-key']).toBeUndefined();
  });

  it("marks answers for this origin only, and drops the gateway's CORS and cookie headers", async () => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks');

    expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['set-cookie']).toBeUndefined();
  });

  it.each(['/api/../healthz', '/api/%2e%2e/healthz', '/api/tasks/../../readyz'])('reaches nothing outside /api: %s', async (target) => {
    const port = await frontend();

    const answer = await send(port, target);

    expect(answer.status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it('resolves dot segments that stay inside /api', () => {
    expect(upstreamTarget('/api/tasks/./t1?x=1')).toBe('/api/tasks/t1?x=1');
    expect(upstreamTarget('/api/../api/chat')).toBe('/api/chat');
    expect(upstreamTarget('//evil.example/api/x')).toBeNull();
  });
});

describe('only the frontend\'s own pages may use it', () => {
  it('lets a same-origin browser request through', async () => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks', {
      method: 'POST',
      headers: { Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'same-origin' },
    });

    expect(answer.status).toBe(202);
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['another site', { Origin: 'http://evil.example' }],
    ['another port of this host', { Origin: 'http://127.0.0.1:1' }],
    ['an opaque origin (sandboxed page, file:)', { Origin: 'null' }],
    ['a cross-site no-cors load (<script src>)', { 'Sec-Fetch-Site': 'cross-site' }],
    ['a same-site page of another origin', { 'Sec-Fetch-Site': 'same-site' }],
  ])('refuses %s with 403 before anything reaches the gateway', async (_, headers) => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks', { headers });

    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body).title).toBe('Cross-origin request refused');
    expect(answer.body).not.toContain(KEY);
    expect(seen).toHaveLength(0);
    expect(logged).toEqual([expect.stringMatching(/^frontend: refused GET \/api\/tasks: /)]);
  });

  it('refuses a preflight from another origin, so no other site can send its own headers', async () => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks', {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });

    expect(answer.status).toBe(403);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(seen).toHaveLength(0);
  });

  it('with ALLOWED_HOSTS, refuses a host name it does not list (DNS rebinding), even from "its own" origin', async () => {
    const port = await frontend({ ALLOWED_HOSTS: 'localhost, 127.0.0.1' });

    const rebound = await send(port, '/api/tasks', { headers: { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` } });
    const listed = await send(port, '/api/tasks', { headers: { Host: `localhost:${port}`, Origin: `http://localhost:${port}` } });

    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).detail).toContain('ALLOWED_HOSTS');
    expect(listed.status).toBe(202);
    expect(seen).toHaveLength(1);
  });
});

describe('hosts ALLOWED_HOSTS adds', () => {
  // helper-129: a list used to replace localhost and IP addresses, where the gateway's adds to them; a system published
  // on 127.0.0.2 for a name refused its own address.
  it.each([['app.example'], ['localhost'], ['127.0.0.2'], ['[::1]']])('serves %s besides the names listed', async (name) => {
    const port = await frontend({ ALLOWED_HOSTS: 'app.example' });

    const answer = await send(port, '/api/tasks', { headers: { Host: `${name}:${port}`, Origin: `http://${name}:${port}` } });

    expect(answer.status).toBe(202);
  });
});

describe('hosts ALLOWED_HOSTS does not list', () => {
  it.each([['localhost'], ['localhost.'], ['127.0.0.1'], ['[::1]'], ['192.168.49.2']])('lets the page be served under %s', async (name) => {
    const port = await frontend();

    const answer = await send(port, '/api/tasks', { headers: { Host: `${name}:${port}`, Origin: `http://${name}:${port}` } });

    expect(answer.status).toBe(202);
  });

  it('refuses any other name (DNS rebinding), and "*" lets every host through', async () => {
    const port = await frontend();
    const any = await frontend({ ALLOWED_HOSTS: '*' });
    const asRebound = { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` };

    const rebound = await send(port, '/api/tasks', { headers: asRebound });
    const anyHost = await send(any, '/api/tasks', { headers: { Host: `evil.example:${any}`, Origin: `http://evil.example:${any}` } });

    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).detail).toContain(`the host "evil.example:${port}" is not localhost, an IP address or a name in ALLOWED_HOSTS`);
    expect(anyHost.status).toBe(202);
    expect(seen).toHaveLength(1);
  });
});

describe('streams and failures', () => {
  it('passes an event stream on event by event, not when it ends', async () => {
    let release: () => void = () => {};
    const secondMayGo = new Promise<void>((resolve) => (release = resolve));
    routes.set('/api/tasks/t1/events', (_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('event: task\ndata: {"status":"running"}\n\n');
      void secondMayGo.then(() => res.end('event: task\ndata: {"status":"succeeded"}\n\n'));
    });
    const port = await frontend();

    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/api/tasks/t1/events' }, (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            chunks.push(chunk);
            // The first event arrived while the gateway still holds the second back.
            if (chunks.length === 1) release();
          });
          res.on('end', resolve);
        })
        .on('error', reject);
    });

    expect(chunks[0]).toBe('event: task\ndata: {"status":"running"}\n\n');
    expect(chunks.join('')).toContain('"succeeded"');
  });

  it('aborts the request to the gateway when the browser goes away', async () => {
    let gatewaySawClose: () => void = () => {};
    const closed = new Promise<void>((resolve) => (gatewaySawClose = resolve));
    routes.set('/api/tasks/t1/events', (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(': open\n\n');
      req.socket.on('close', gatewaySawClose);
    });
    const port = await frontend();

    const req = http.get({ host: '127.0.0.1', port, path: '/api/tasks/t1/events' }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => {});

    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 3_000))])).resolves.toBe('closed');
  });

  it('answers 502 with a problem when the gateway is unreachable', async () => {
    const spare = http.createServer();
    const closedPort = await new Promise<number>((resolve) =>
      spare.listen(0, '127.0.0.1', () => {
        const { port } = spare.address() as AddressInfo;
        spare.close(() => resolve(port));
      }),
    );
    const port = await frontend({ GATEWAY_URL: `http://127.0.0.1:${closedPort}` });

    const answer = await send(port, '/api/tasks');

    expect(answer.status).toBe(502);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(answer.body);
    expect(problem).toMatchObject({ status: 502, title: 'The gateway is unreachable' });
    expect(problem.detail).toContain('ECONNREFUSED');
    expect(answer.body).not.toContain(KEY);
  });

  it('answers 504 when the gateway sends no answer in time', async () => {
    routes.set('/api/tasks/slow', () => {}); // never answers
    const port = await frontend();

    const answer = await send(port, '/api/tasks/slow');

    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 504, title: 'The gateway did not answer in time' });
  });
});

describe('configuration', () => {
  it('defaults the gateway and reads the key and allowed hosts', () => {
    expect(proxyConfigFromEnv({})).toMatchObject({ apiKey: '', allowedHosts: [] });
    expect(proxyConfigFromEnv({}).gatewayUrl.href).toBe('http://localhost:8080/');
    expect(proxyConfigFromEnv({ API_KEY: ' k ', ALLOWED_HOSTS: 'App.example, ,localhost' })).toMatchObject({
      apiKey: 'k',
      allowedHosts: ['app.example', 'localhost'],
    });
  });

  it('refuses "*" inside a list of hosts, as the nginx image does', () => {
    expect(() => proxyConfigFromEnv({ ALLOWED_HOSTS: 'localhost,*' })).toThrow(/"\*" \(every host\) stands alone/);
    expect(proxyConfigFromEnv({ ALLOWED_HOSTS: ' * ' }).allowedHosts).toEqual(['*']);
  });

  it.each(['not a url', 'ftp://gateway'])('refuses GATEWAY_URL=%s with what is expected', (value) => {
    expect(() => proxyConfigFromEnv({ GATEWAY_URL: value })).toThrow(/GATEWAY_URL must be an http\(s\) URL/);
  });
});

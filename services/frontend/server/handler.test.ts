import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeFor, createHandler, resolveInside } from './handler.mjs';
import { send, type SendOptions } from './testClient';

let root: string;
let distDir: string;
let server: http.Server;
let port: number;

const get = (target: string, options: SendOptions = {}) => send(port, target, options);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'frontend-handler-'));
  distDir = path.join(root, 'dist');
  fs.mkdirSync(path.join(distDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>AgentSystem</title>');
  fs.writeFileSync(path.join(distDir, 'assets', 'index-abc123.js'), 'console.log("app");');
  fs.writeFileSync(path.join(distDir, 'assets', 'index-abc123.css'), 'body{}');
  fs.writeFileSync(path.join(distDir, 'favicon.svg'), '<svg/>');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'do not serve');

  const handler = createHandler({ distDir, env: { GATEWAY_URL: 'http://gateway:8080', API_KEY: 'k-123' } });
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

describe('GET /healthz', () => {
  it('answers 200 {"status":"Healthy"}', async () => {
    const answer = await get('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({ status: 'Healthy' });
  });

  it('ignores a query string', async () => {
    expect((await get('/healthz?probe=liveness')).status).toBe(200);
  });
});

describe('GET /readyz', () => {
  it('answers 200 once there is a build to serve', async () => {
    const answer = await get('/readyz');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ status: 'Healthy' });
  });
});

describe('the API key', () => {
  it.each(['/config.js', '/', '/tasks/42', '/assets/index-abc123.js'])('is in no answer to a page request (%s)', async (target) => {
    const answer = await get(target);
    expect(answer.body).not.toContain('k-123');
    expect(JSON.stringify(answer.headers)).not.toContain('k-123');
  });

  it('has no /config.js to be read from: it is gone', async () => {
    expect((await get('/config.js')).status).toBe(404);
  });
});

describe('static files', () => {
  it('serves index.html at /', async () => {
    const answer = await get('/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(answer.body).toContain('<title>AgentSystem</title>');
  });

  it('serves hashed assets with their content type, cached for good', async () => {
    const js = await get('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log("app");');

    const css = await get('/assets/index-abc123.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves other files from dist/', async () => {
    const answer = await get('/favicon.svg');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('image/svg+xml');
  });

  it('answers HEAD without a body', async () => {
    const answer = await get('/assets/index-abc123.js', { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBe(String('console.log("app");'.length));
    expect(answer.body).toBe('');
  });

  it('refuses other methods', async () => {
    const answer = await get('/', { method: 'POST' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    ['.html', 'text/html; charset=utf-8'],
    ['.JS', 'text/javascript; charset=utf-8'],
    ['.map', 'application/json; charset=utf-8'],
    ['.woff2', 'font/woff2'],
    ['.png', 'image/png'],
    ['.unknown', 'application/octet-stream'],
  ])('knows the content type of %s', (extension, expected) => {
    expect(contentTypeFor(`file${extension}`)).toBe(expected);
  });
});

describe('SPA fallback', () => {
  it.each(['/tasks', '/tasks/42', '/tasks/42/chat?tab=log'])('serves index.html for the client route %s', async (route) => {
    const answer = await get(route);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.body).toContain('<title>AgentSystem</title>');
  });

  it('answers 404 for a missing asset instead of HTML', async () => {
    expect((await get('/assets/index-old999.js')).status).toBe(404);
  });

  it('serves index.html for a dotted route when the browser navigates (Accept: text/html)', async () => {
    const answer = await get('/tasks/v1.2', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<title>AgentSystem</title>');
  });
});

describe('path traversal', () => {
  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/../index.html',
    '/%00',
    '/%E0%A4%A',
  ])('answers 404 for %s', async (target) => {
    const answer = await get(target, { headers: { accept: 'text/html' } });
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('do not serve');
  });

  it('resolveInside keeps paths inside dist/', () => {
    expect(resolveInside(distDir, '/assets/index-abc123.js')).toBe(path.join(distDir, 'assets', 'index-abc123.js'));
    expect(resolveInside(distDir, '/a%20b')).toBe(path.join(distDir, 'a b'));
    expect(resolveInside(distDir, '/../secret.txt')).toBeNull();
    expect(resolveInside(distDir, '..')).toBeNull();
  });
});

describe('before a build', () => {
  it('answers 503 with what to do when index.html is missing, and /healthz still works', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'frontend-empty-'));
    try {
      const handler = createHandler({ distDir: empty, env: {} });
      const other = http.createServer(handler);
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const otherPort = (other.address() as AddressInfo).port;
      const answer = await fetch(`http://127.0.0.1:${otherPort}/tasks`);
      const health = await fetch(`http://127.0.0.1:${otherPort}/healthz`);
      const ready = await fetch(`http://127.0.0.1:${otherPort}/readyz`);
      await new Promise((resolve) => other.close(resolve));

      expect(answer.status).toBe(503);
      expect(await answer.text()).toContain('npm run build');
      expect(health.status).toBe(200);
      expect(ready.status).toBe(503);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

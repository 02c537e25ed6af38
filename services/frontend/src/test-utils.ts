// Helpers for the component tests: a fake gateway (fetch routed by method and path) and event streams the test
// writes into chunk by chunk.
import { vi } from 'vitest';
import type { Job, Task } from './types';

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } });
}

export interface SseStream {
  readonly response: Response;
  /** Enqueues raw text (any chunking: the parser must cope). */
  send(text: string): void;
  /** Sends one event: `event: NAME` (unless "message") and the data as one data line. */
  event(name: string, data: unknown): void;
  close(): void;
}

/** A text/event-stream response the test feeds; it fails with AbortError when the request's signal aborts. */
export function sseStream(signal?: AbortSignal | null): SseStream {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  signal?.addEventListener('abort', () => {
    if (closed) return;
    closed = true;
    controller.error(new DOMException('The operation was aborted.', 'AbortError'));
  });
  const send = (text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text));
  };
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } }),
    send,
    event: (name, data) =>
      send(`${name === 'message' ? '' : `event: ${name}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`),
    close: () => {
      if (closed) return;
      closed = true;
      controller.close();
    },
  };
}

export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal | undefined;
}

type Handler = (request: SentRequest) => Response | Promise<Response>;

/** Where relative request URLs resolve in the tests: the page's own origin. */
export const PAGE_ORIGIN = 'http://frontend.test';

/**
 * A fetch that answers by route: `on('GET /api/tasks/t1', handler)`; the path is matched without the query string.
 * Unrouted requests get a 404 ProblemDetails. `requests` records everything sent.
 */
export function fakeGateway() {
  const routes: { method: string; path: string | RegExp; handler: Handler }[] = [];
  const requests: SentRequest[] = [];
  const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
    // The app calls its own origin with relative paths.
    const url = new URL(String(input), PAGE_ORIGIN);
    const request: SentRequest = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    if (request.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    const route = routes.find(
      (r) => r.method === request.method && (typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname)),
    );
    if (route === undefined) return json({ title: 'Not Found', status: 404 }, 404);
    return route.handler(request);
  });
  return {
    fetch: fetchMock,
    requests,
    on(route: string, handler: Handler) {
      const space = route.indexOf(' ');
      routes.unshift({ method: route.slice(0, space), path: route.slice(space + 1), handler });
      return this;
    },
    onPattern(method: string, path: RegExp, handler: Handler) {
      routes.unshift({ method, path, handler });
      return this;
    },
    sent(method: string, path: string) {
      return requests.filter((r) => r.method === method && r.url.pathname === path);
    },
  };
}

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job-1',
    type: 'echo',
    input: 'hello',
    status: 'queued',
    attempts: 0,
    result: null,
    error: null,
    ...overrides,
  };
}

export function makeTask(overrides: Partial<Task> = {}): Task {
  return {
    id: 'task-1',
    status: 'queued',
    goal: null,
    createdAt: '2026-11-21T14:00:00Z',
    updatedAt: '2026-11-21T14:00:00Z',
    jobs: [makeJob()],
    ...overrides,
  };
}

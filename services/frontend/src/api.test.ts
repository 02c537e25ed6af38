import { describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  IDEMPOTENCY_KEY_HEADER,
  createApiClient,
  describeError,
  isNetworkError,
  isUnreachable,
  unavailableService,
  parseProblem,
} from './api';

function fakeFetch(response: () => Response) {
  return vi.fn<typeof fetch>(async () => response());
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function sentRequest(fetchMock: ReturnType<typeof fakeFetch>) {
  expect(fetchMock).toHaveBeenCalledTimes(1);
  const [url, init] = fetchMock.mock.calls[0]!;
  return { url: String(url), init: init ?? {}, headers: new Headers(init?.headers) };
}

describe('createApiClient', () => {
  it('calls the page\'s own origin (a relative path) and returns the parsed JSON', async () => {
    const fetchMock = fakeFetch(() => json({ name: 'gateway', version: '1.0.0' }));
    const api = createApiClient({ fetch: fetchMock });

    await expect(api.info()).resolves.toEqual({ name: 'gateway', version: '1.0.0' });

    const { url, init, headers } = sentRequest(fetchMock);
    expect(url).toBe('/api/info');
    expect(init.method).toBe('GET');
    expect(headers.get('Accept')).toBe('application/json');
  });

  it('puts a baseUrl, when given, before the path', async () => {
    const fetchMock = fakeFetch(() => json({}));
    await createApiClient({ baseUrl: 'http://gw:8080/', fetch: fetchMock }).request('/api/tasks');

    expect(sentRequest(fetchMock).url).toBe('http://gw:8080/api/tasks');
  });

  it('never sends an API key or credentials header: the frontend server adds the key', async () => {
    const fetchMock = fakeFetch(() => json({}));
    await createApiClient({ fetch: fetchMock }).request('/api/tasks');

    const { headers } = sentRequest(fetchMock);
    expect(headers.has('X-Api-Key')).toBe(false);
    expect(headers.has('Authorization')).toBe(false);
  });

  it('throws an ApiError carrying status and body on a non-2xx answer', async () => {
    const problem = { title: 'Service Unavailable', status: 503 };
    const fetchMock = fakeFetch(() => new Response(JSON.stringify(problem), { status: 503, statusText: 'Service Unavailable' }));
    const api = createApiClient({ fetch: fetchMock });

    const error = await api.info().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 503,
      message: 'GET /api/info failed: HTTP 503 Service Unavailable',
    });
    expect(JSON.parse((error as ApiError).body)).toEqual(problem);
  });

  it('passes network failures through', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(createApiClient({ fetch: fetchMock }).info()).rejects.toThrow('Failed to fetch');
  });

  it('sends json bodies with a JSON content type', async () => {
    const fetchMock = fakeFetch(() => json({ id: 'task-1' }, 201));
    const api = createApiClient({ fetch: fetchMock });

    const created = await api.request<{ id: string }>('/api/tasks', { method: 'post', json: { prompt: 'hi' } });

    expect(created).toEqual({ id: 'task-1' });
    const { init, headers } = sentRequest(fetchMock);
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"prompt":"hi"}');
    expect(headers.get('Content-Type')).toBe('application/json');
  });

  it('returns undefined for an empty body', async () => {
    const fetchMock = fakeFetch(() => new Response(null, { status: 204 }));
    await expect(createApiClient({ fetch: fetchMock }).request('/api/x')).resolves.toBeUndefined();
  });

  it('reports a 2xx body that is not JSON', async () => {
    const fetchMock = fakeFetch(() => new Response('<html>', { status: 200 }));
    await expect(createApiClient({ fetch: fetchMock }).request('/api/x')).rejects.toThrow(
      'GET /api/x returned a body that is not JSON',
    );
  });

  it('uses the global fetch when none is given', async () => {
    const fetchMock = fakeFetch(() => json({ status: 'Healthy' }));
    vi.stubGlobal('fetch', fetchMock);

    await createApiClient().info();

    expect(fetchMock).toHaveBeenCalledOnce();
  });
});

describe('ApiError and ProblemDetails', () => {
  it('parses a 422 ProblemDetails into a typed error with field errors', async () => {
    const problem = {
      type: 'https://tools.ietf.org/html/rfc4918#section-11.2',
      title: 'One or more validation errors occurred.',
      status: 422,
      errors: { 'jobs[0].type': ["Unknown job type 'nope'."], 'jobs[1].input': 'Input is too large.' },
    };
    const fetchMock = fakeFetch(() => json(problem, 422));
    const api = createApiClient({ fetch: fetchMock });

    const error = await api.createTask({ jobs: [{ type: 'nope', input: '' }] }, { idempotencyKey: 'k1' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.problem).toMatchObject({ title: problem.title, status: 422 });
    expect(apiError.fieldErrors).toEqual({
      'jobs[0].type': ["Unknown job type 'nope'."],
      'jobs[1].input': ['Input is too large.'],
    });
    expect(describeError(apiError)).toBe('One or more validation errors occurred. (HTTP 422)');
  });

  it('keeps the problem undefined when the body is not a JSON object', () => {
    expect(new ApiError('x', 502, '<html>Bad Gateway</html>').problem).toBeUndefined();
    expect(new ApiError('x', 502, '[1,2]').problem).toBeUndefined();
    expect(new ApiError('x', 502, '').fieldErrors).toEqual({});
  });

  it('drops malformed parts of a problem', () => {
    expect(parseProblem('{"title":5,"detail":"d","status":"500","errors":{"a":[1,"ok"],"b":[2],"c":null}}')).toEqual({
      detail: 'd',
      errors: { a: ['ok'] },
    });
  });

  it('describes errors for the page', () => {
    expect(describeError(new ApiError('m', 502, JSON.stringify({ title: 'Bad Gateway', detail: 'orchestrator is down' })))).toBe(
      'Bad Gateway: orchestrator is down (HTTP 502)',
    );
    expect(describeError(new ApiError('GET /api/tasks failed: HTTP 500', 500, ''))).toBe('GET /api/tasks failed: HTTP 500');
    expect(describeError(new ApiError('m', 401, ''))).toMatch(/refused the frontend server's API key.*API_KEY/);
    expect(describeError(new TypeError('Failed to fetch'))).toBe('No answer from the server: Failed to fetch');
    expect(isNetworkError(new TypeError('Failed to fetch'))).toBe(true);
    expect(isNetworkError(new ApiError('m', 500, ''))).toBe(false);
  });

  it('counts no answer, and 502 and 504 answers, as unreachable', () => {
    expect(isUnreachable(new TypeError('Failed to fetch'))).toBe(true);
    expect(isUnreachable(new ApiError('m', 502, ''))).toBe(true);
    expect(isUnreachable(new ApiError('m', 504, ''))).toBe(true);
    expect(isUnreachable(new ApiError('m', 503, ''))).toBe(false);
    expect(isUnreachable(new ApiError('m', 422, ''))).toBe(false);
  });

  it('tells a service behind the gateway that did not answer from the gateway itself', () => {
    const refused = new ApiError('m', 502, JSON.stringify({ title: 'The orchestrator service refuses the gateway', status: 502, service: 'orchestrator' }));
    expect(isUnreachable(refused)).toBe(false);
    expect(unavailableService(refused)).toBe('orchestrator');
    expect(unavailableService(new ApiError('m', 504, JSON.stringify({ service: 'chat' })))).toBe('chat');
    expect(unavailableService(new ApiError('m', 502, JSON.stringify({ title: 'The gateway is unreachable' })))).toBeUndefined();
    expect(unavailableService(new ApiError('m', 500, JSON.stringify({ service: 'chat' })))).toBeUndefined();
  });
});

describe('task and chat calls', () => {
  it('creates a task with the Idempotency-Key header and the JSON body', async () => {
    const fetchMock = fakeFetch(() => json({ id: 't1', status: 'queued' }, 202));
    const api = createApiClient({ fetch: fetchMock });

    await expect(api.createTask({ goal: 'Summarise: x' }, { idempotencyKey: 'key-1' })).resolves.toMatchObject({ id: 't1' });

    const { url, init, headers } = sentRequest(fetchMock);
    expect(url).toBe('/api/tasks');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"goal":"Summarise: x"}');
    expect(headers.get(IDEMPOTENCY_KEY_HEADER)).toBe('key-1');
  });

  it('lists tasks with status and paging in the query', async () => {
    const fetchMock = fakeFetch(() => json({ items: [], page: 2, pageSize: 20, total: 0 }));
    await createApiClient({ fetch: fetchMock }).listTasks({ status: 'running', page: 2, pageSize: 20 });
    expect(sentRequest(fetchMock).url).toBe('/api/tasks?status=running&page=2&pageSize=20');
  });

  it('escapes ids in paths and cancels with DELETE', async () => {
    const fetchMock = fakeFetch(() => json({ id: 'a/b', status: 'cancelled' }, 202));
    await createApiClient({ fetch: fetchMock }).cancelTask('a/b');
    const { url, init } = sentRequest(fetchMock);
    expect(url).toBe('/api/tasks/a%2Fb');
    expect(init.method).toBe('DELETE');
  });

  it('asks for an event stream and returns the response unread', async () => {
    const fetchMock = fakeFetch(() => new Response('data: x\n\n', { headers: { 'Content-Type': 'text/event-stream' } }));
    const api = createApiClient({ fetch: fetchMock });

    const response = await api.taskEvents('t1');

    expect(response.bodyUsed).toBe(false);
    const { url, headers } = sentRequest(fetchMock);
    expect(url).toBe('/api/tasks/t1/events');
    expect(headers.get('Accept')).toBe('text/event-stream');
  });

  it('sends chat with stream: true and turns a failed stream request into an ApiError', async () => {
    const fetchMock = fakeFetch(() => json({ title: 'Unauthorized', status: 401 }, 401));
    const api = createApiClient({ fetch: fetchMock });

    const error = await api.chatStream({ conversationId: null, messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).problem?.title).toBe('Unauthorized');
    expect(JSON.parse(String(sentRequest(fetchMock).init.body))).toEqual({
      conversationId: null,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
  });

  it('lists conversations with paging and reads one by its escaped id', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => json({ items: [], page: 2, pageSize: 5, total: 0 }));
    const api = createApiClient({ fetch: fetchMock });

    await api.listConversations({ page: 2, pageSize: 5 });
    await api.listConversations();
    await api.getConversation('c/1');

    expect(fetchMock.mock.calls.map(([url]) => String(url))).toEqual([
      '/api/chat/conversations?page=2&pageSize=5',
      '/api/chat/conversations',
      '/api/chat/conversations/c%2F1',
    ]);
  });
});

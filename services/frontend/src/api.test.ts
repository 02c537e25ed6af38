import { describe, expect, it, vi } from 'vitest';
import { API_KEY_HEADER, ApiError, createApiClient } from './api';

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
  it('calls baseUrl + path and returns the parsed JSON', async () => {
    const fetchMock = fakeFetch(() => json({ status: 'Healthy' }));
    const api = createApiClient({ baseUrl: 'http://gw:8080/', fetch: fetchMock });

    await expect(api.health()).resolves.toEqual({ status: 'Healthy' });

    const { url, init, headers } = sentRequest(fetchMock);
    expect(url).toBe('http://gw:8080/healthz');
    expect(init.method).toBe('GET');
    expect(headers.get('Accept')).toBe('application/json');
  });

  it('sets X-Api-Key when a key is configured', async () => {
    const fetchMock = fakeFetch(() => json({}));
    await createApiClient({ baseUrl: 'http://gw', apiKey: 'k-123', fetch: fetchMock }).request('/api/tasks');

    expect(sentRequest(fetchMock).headers.get(API_KEY_HEADER)).toBe('k-123');
  });

  it.each([undefined, '', '   '])('sends no X-Api-Key when the key is %j', async (apiKey) => {
    const fetchMock = fakeFetch(() => json({}));
    const options = apiKey === undefined ? {} : { apiKey };
    await createApiClient({ baseUrl: 'http://gw', fetch: fetchMock, ...options }).request('/api/tasks');

    expect(sentRequest(fetchMock).headers.has(API_KEY_HEADER)).toBe(false);
  });

  it('throws an ApiError carrying status and body on a non-2xx answer', async () => {
    const problem = { title: 'Service Unavailable', status: 503 };
    const fetchMock = fakeFetch(() => new Response(JSON.stringify(problem), { status: 503, statusText: 'Service Unavailable' }));
    const api = createApiClient({ baseUrl: 'http://gw', fetch: fetchMock });

    const error = await api.health().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 503,
      message: 'GET /healthz failed: HTTP 503 Service Unavailable',
    });
    expect(JSON.parse((error as ApiError).body)).toEqual(problem);
  });

  it('passes network failures through', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(createApiClient({ baseUrl: 'http://gw', fetch: fetchMock }).health()).rejects.toThrow('Failed to fetch');
  });

  it('sends json bodies with a JSON content type', async () => {
    const fetchMock = fakeFetch(() => json({ id: 'task-1' }, 201));
    const api = createApiClient({ baseUrl: 'http://gw', fetch: fetchMock });

    const created = await api.request<{ id: string }>('/api/tasks', { method: 'post', json: { prompt: 'hi' } });

    expect(created).toEqual({ id: 'task-1' });
    const { init, headers } = sentRequest(fetchMock);
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"prompt":"hi"}');
    expect(headers.get('Content-Type')).toBe('application/json');
  });

  it('returns undefined for an empty body', async () => {
    const fetchMock = fakeFetch(() => new Response(null, { status: 204 }));
    await expect(createApiClient({ baseUrl: 'http://gw', fetch: fetchMock }).request('/api/x')).resolves.toBeUndefined();
  });

  it('reports a 2xx body that is not JSON', async () => {
    const fetchMock = fakeFetch(() => new Response('<html>', { status: 200 }));
    await expect(createApiClient({ baseUrl: 'http://gw', fetch: fetchMock }).request('/api/x')).rejects.toThrow(
      'GET /api/x returned a body that is not JSON',
    );
  });

  it('uses the global fetch when none is given', async () => {
    const fetchMock = fakeFetch(() => json({ status: 'Healthy' }));
    vi.stubGlobal('fetch', fetchMock);

    await createApiClient({ baseUrl: 'http://gw' }).health();

    expect(fetchMock).toHaveBeenCalledOnce();
  });
});

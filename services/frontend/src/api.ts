// Typed client for the gateway's HTTP API. Every call goes through request(), which adds X-Api-Key when a key is
// configured, sends and parses JSON, and turns non-2xx answers into an ApiError.

export const API_KEY_HEADER = 'X-Api-Key';

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** Body of the answer as text (a ProblemDetails document, usually), for display or logging. */
    readonly body: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Gateway base URL, e.g. http://localhost:8080 (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Sent as X-Api-Key when non-empty. */
  readonly apiKey?: string;
  /** The fetch to use; the global one by default (tests pass a fake). */
  readonly fetch?: typeof fetch;
}

export interface ApiRequestInit extends Omit<RequestInit, 'body'> {
  /** Serialised as the JSON body (Content-Type: application/json). */
  readonly json?: unknown;
  /** A raw body, when json is not used. */
  readonly body?: BodyInit | null;
}

export interface HealthReport {
  readonly status: string;
}

export interface ApiClient {
  /** Calls `${baseUrl}${path}` and returns the parsed JSON body (undefined for an empty body). */
  request<T>(path: string, init?: ApiRequestInit): Promise<T>;
  /** GET /healthz of the gateway. */
  health(signal?: AbortSignal): Promise<HealthReport>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const apiKey = options.apiKey?.trim() ?? '';

  async function request<T>(path: string, init: ApiRequestInit = {}): Promise<T> {
    const { json, body, ...rest } = init;
    const headers = new Headers(init.headers);
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    if (apiKey !== '') headers.set(API_KEY_HEADER, apiKey);
    let payload: BodyInit | null = body ?? null;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }

    const method = (init.method ?? 'GET').toUpperCase();
    const url = `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
    // Resolve the global fetch at call time, so a fetch stubbed after the client was made is still used.
    const doFetch = options.fetch ?? globalThis.fetch;
    const response = await doFetch(url, { ...rest, method, headers, body: payload });
    const text = await response.text();
    if (!response.ok) {
      const reason = response.statusText ? ` ${response.statusText}` : '';
      throw new ApiError(`${method} ${path} failed: HTTP ${response.status}${reason}`, response.status, text);
    }
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${method} ${path} returned a body that is not JSON`, response.status, text);
    }
  }

  return {
    request,
    health: (signal) => request<HealthReport>('/healthz', signal ? { signal } : {}),
  };
}

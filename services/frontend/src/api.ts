// Typed client for the gateway's HTTP API (docs/api.md), called on the page's own origin: the frontend's server forwards
// /api/* to the gateway and adds the API key there, so the page never holds one. Every call goes through send(), which
// turns non-2xx answers into an ApiError carrying the parsed ProblemDetails. request() parses JSON bodies; stream()
// hands back the Response of a text/event-stream for readSse().

import type {
  ChatRequest,
  ChatResponse,
  Conversation,
  ConversationPage,
  CreateTaskRequest,
  ProblemDetails,
  Task,
  TaskPage,
  TaskQuery,
} from './types';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * Parses a ProblemDetails document; undefined when the text is not a JSON object. `errors` is kept only as a map of
 * string arrays (a lone string becomes a one-element array; anything else is dropped).
 */
export function parseProblem(text: string): ProblemDetails | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const problem: { -readonly [K in keyof ProblemDetails]: ProblemDetails[K] } = {};
  for (const key of ['type', 'title', 'detail', 'instance', 'service'] as const) {
    const field = raw[key];
    if (typeof field === 'string') problem[key] = field;
  }
  if (typeof raw.status === 'number') problem.status = raw.status;
  if (typeof raw.errors === 'object' && raw.errors !== null && !Array.isArray(raw.errors)) {
    const errors: Record<string, string[]> = {};
    for (const [key, messages] of Object.entries(raw.errors as Record<string, unknown>)) {
      if (typeof messages === 'string') errors[key] = [messages];
      else if (Array.isArray(messages)) {
        const texts = messages.filter((m): m is string => typeof m === 'string');
        if (texts.length > 0) errors[key] = texts;
      }
    }
    problem.errors = errors;
  }
  return problem;
}

export class ApiError extends Error {
  /** The answer's ProblemDetails, when its body was one. */
  readonly problem: ProblemDetails | undefined;

  constructor(
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** Body of the answer as text (a ProblemDetails document, usually), for display or logging. */
    readonly body: string,
  ) {
    super(message);
    this.name = 'ApiError';
    this.problem = parseProblem(body);
  }

  /** Validation errors keyed by field path (`jobs[0].type`); empty when the answer had none. */
  get fieldErrors(): Readonly<Record<string, readonly string[]>> {
    return this.problem?.errors ?? {};
  }
}

/** True for the TypeError fetch throws when the request never got an answer (the server is down, offline). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError;
}

/**
 * No answer from the gateway: the page's server is not answering, or it says 502 or 504. The gateway's own 502 and 504
 * about a service behind it name that service (`unavailableService`) and do not count: the gateway answered.
 */
export function isUnreachable(error: unknown): boolean {
  return isNetworkError(error) || (isNoAnswer(error) && unavailableService(error) === undefined);
}

/** The service behind the gateway that could not answer (the gateway's 502 or 504 names it), else undefined. */
export function unavailableService(error: unknown): string | undefined {
  return isNoAnswer(error) ? (error as ApiError).problem?.service : undefined;
}

function isNoAnswer(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 502 || error.status === 504);
}

export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** A one-line explanation of an error for the page: the problem's title and detail, or what went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const problem = error.problem;
    if (error.status === 401) return "The gateway refused the frontend server's API key (401): check API_KEY where the frontend server runs.";
    if (problem?.title !== undefined || problem?.detail !== undefined) {
      const parts = [problem.title, problem.detail].filter((p): p is string => p !== undefined && p !== '');
      return `${parts.join(': ')} (HTTP ${error.status})`;
    }
    return error.message;
  }
  if (isNetworkError(error)) return `No answer from the server: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

export interface ApiClientOptions {
  /** Prefix of every path; empty (the default) is the page's own origin, which is what the app uses. */
  readonly baseUrl?: string;
  /** The fetch to use; the global one by default (tests pass a fake). */
  readonly fetch?: typeof fetch;
}

export interface ApiRequestInit extends Omit<RequestInit, 'body'> {
  /** Serialised as the JSON body (Content-Type: application/json). */
  readonly json?: unknown;
  /** A raw body, when json is not used. */
  readonly body?: BodyInit | null;
}

/** GET /api/info: the gateway's name and version. */
export interface GatewayInfo {
  readonly name: string;
  readonly version: string;
}

export interface CreateTaskOptions {
  /** Sent as Idempotency-Key: the same key returns the same task, so a retried submission creates nothing new. */
  readonly idempotencyKey: string;
  readonly signal?: AbortSignal;
}

export interface ApiClient {
  /** Calls `${baseUrl}${path}` and returns the parsed JSON body (undefined for an empty body). */
  request<T>(path: string, init?: ApiRequestInit): Promise<T>;
  /** Calls `${baseUrl}${path}` asking for text/event-stream and returns the 2xx Response with its body unread. */
  stream(path: string, init?: ApiRequestInit): Promise<Response>;
  /** GET /api/info: answers when the gateway does (it needs no key, and touches no service behind it). */
  info(signal?: AbortSignal): Promise<GatewayInfo>;
  /** GET /api/tasks (paged, optionally filtered by status). */
  listTasks(query?: TaskQuery, signal?: AbortSignal): Promise<TaskPage>;
  /** GET /api/tasks/{id}. */
  getTask(id: string, signal?: AbortSignal): Promise<Task>;
  /** POST /api/tasks with an Idempotency-Key. */
  createTask(request: CreateTaskRequest, options: CreateTaskOptions): Promise<Task>;
  /** DELETE /api/tasks/{id}: cancels every job not yet final, running ones too; 409 (ApiError) if already final. */
  cancelTask(id: string, signal?: AbortSignal): Promise<Task>;
  /** GET /api/tasks/{id}/events: the task's progress as server-sent events. */
  taskEvents(id: string, signal?: AbortSignal): Promise<Response>;
  /** POST /api/chat with stream: false. */
  chat(request: Omit<ChatRequest, 'stream'>, signal?: AbortSignal): Promise<ChatResponse>;
  /** POST /api/chat with stream: true: deltas as server-sent events. */
  chatStream(request: Omit<ChatRequest, 'stream'>, signal?: AbortSignal): Promise<Response>;
  /** GET /api/chat/conversations: the most recently active first. */
  listConversations(query?: { readonly page?: number; readonly pageSize?: number }, signal?: AbortSignal): Promise<ConversationPage>;
  /** GET /api/chat/conversations/{id}: the stored messages. */
  getConversation(id: string, signal?: AbortSignal): Promise<Conversation>;
  /**
   * Calls `listener` when a call other than info() gets no answer or a 502, 503 or 504 (the gateway, or what is behind
   * it, may be gone); returns the unsubscribe.
   */
  onTrouble(listener: () => void): () => void;
}

function withSignal(init: ApiRequestInit, signal: AbortSignal | undefined): ApiRequestInit {
  return signal ? { ...init, signal } : init;
}

function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(name, String(value));
  const search = params.toString();
  return search ? `?${search}` : '';
}

const INFO_PATH = '/api/info';

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
  const troubleListeners = new Set<() => void>();
  // Not for info(): it is how trouble is checked, and a failed check would ask for another.
  const trouble = (path: string) => {
    if (path !== INFO_PATH) for (const listener of troubleListeners) listener();
  };

  async function send(path: string, init: ApiRequestInit, accept: string): Promise<{ response: Response; method: string }> {
    const { json, body, ...rest } = init;
    const headers = new Headers(init.headers);
    if (!headers.has('Accept')) headers.set('Accept', accept);
    let payload: BodyInit | null = body ?? null;
    if (json !== undefined) {
      payload = JSON.stringify(json);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }

    const method = (init.method ?? 'GET').toUpperCase();
    const url = `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
    // Resolve the global fetch at call time, so a fetch stubbed after the client was made is still used.
    const doFetch = options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await doFetch(url, { ...rest, method, headers, body: payload });
    } catch (error) {
      if (isNetworkError(error)) trouble(path);
      throw error;
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) trouble(path);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const reason = response.statusText ? ` ${response.statusText}` : '';
      throw new ApiError(`${method} ${path} failed: HTTP ${response.status}${reason}`, response.status, text);
    }
    return { response, method };
  }

  async function request<T>(path: string, init: ApiRequestInit = {}): Promise<T> {
    const { response, method } = await send(path, init, 'application/json');
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${method} ${path} returned a body that is not JSON`, response.status, text);
    }
  }

  async function stream(path: string, init: ApiRequestInit = {}): Promise<Response> {
    const { response, method } = await send(path, init, 'text/event-stream');
    if (response.body === null) throw new ApiError(`${method} ${path} returned no body`, response.status, '');
    return response;
  }

  const taskPath = (id: string) => `/api/tasks/${encodeURIComponent(id)}`;

  return {
    request,
    stream,
    info: (signal) => request<GatewayInfo>(INFO_PATH, withSignal({}, signal)),
    listTasks: ({ status, page, pageSize } = {}, signal) =>
      request<TaskPage>(`/api/tasks${query({ status, page, pageSize })}`, withSignal({}, signal)),
    getTask: (id, signal) => request<Task>(taskPath(id), withSignal({}, signal)),
    createTask: (body, { idempotencyKey, signal }) =>
      request<Task>(
        '/api/tasks',
        withSignal({ method: 'POST', json: body, headers: { [IDEMPOTENCY_KEY_HEADER]: idempotencyKey } }, signal),
      ),
    cancelTask: (id, signal) => request<Task>(taskPath(id), withSignal({ method: 'DELETE' }, signal)),
    taskEvents: (id, signal) => stream(`${taskPath(id)}/events`, withSignal({}, signal)),
    chat: (body, signal) => request<ChatResponse>('/api/chat', withSignal({ method: 'POST', json: { ...body, stream: false } }, signal)),
    chatStream: (body, signal) =>
      stream('/api/chat', withSignal({ method: 'POST', json: { ...body, stream: true } }, signal)),
    listConversations: ({ page, pageSize } = {}, signal) =>
      request<ConversationPage>(`/api/chat/conversations${query({ page, pageSize })}`, withSignal({}, signal)),
    getConversation: (id, signal) => request<Conversation>(`/api/chat/conversations/${encodeURIComponent(id)}`, withSignal({}, signal)),
    onTrouble: (listener) => {
      troubleListeners.add(listener);
      return () => troubleListeners.delete(listener);
    },
  };
}

// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { HEALTH_TIMEOUT_MS, HEALTHY_RECHECK_INTERVAL_MS, RECHECK_INTERVAL_MS, TROUBLE_CHECK_SPACING_MS } from './GatewayStatus';
import { fakeGateway, json, makeTask } from './test-utils';
import nginxConf from '../nginx/nginx.conf?raw';

const emptyPage = { items: [], page: 1, pageSize: 20, total: 0 };

function healthy(): Response {
  return json({ name: 'gateway', version: '1.0.0' });
}

/** A gateway whose /api/info answers with `health` and whose task list is empty. */
function gatewayWith(health: () => Response | Promise<Response>) {
  const gateway = fakeGateway()
    .on('GET /api/info', health)
    .on('GET /api/tasks', () => json(emptyPage));
  vi.stubGlobal('fetch', gateway.fetch);
  return gateway;
}

const gatewayStatus = () => screen.getByTestId('gateway-status');

beforeEach(() => {
  window.history.replaceState(null, '', '/');
  sessionStorage.clear();
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('App shell and gateway status', () => {
  it('shows the header and the navigation, and asks the gateway through the page\'s own origin', async () => {
    const gateway = gatewayWith(healthy);
    render(<App />);

    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('AgentSystem');
    expect(screen.getByRole('navigation', { name: 'Main' })).toBeTruthy();
    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
    expect(gateway.fetch.mock.calls.map(([url]) => String(url))).toContain('/api/info');
  });

  it('shows "checking" until the gateway answers, then "healthy"', async () => {
    let answer: (response: Response) => void = () => {};
    const gateway = gatewayWith(() => new Promise<Response>((resolve) => (answer = resolve)));

    render(<App />);
    expect(gatewayStatus().textContent).toBe('gateway: checking…');

    await act(async () => answer(healthy()));

    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    expect(gateway.sent('GET', '/api/info')).toHaveLength(1);
  });

  it('shows a clear "unreachable" state, not a blank page, when nothing answers', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unreachable'));
    const banner = screen.getByTestId('gateway-unreachable');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.textContent).toMatch(/The gateway is unreachable\. No answer from the server: Failed to fetch\./);
    expect((await screen.findByTestId('tasks-error')).textContent).toMatch(/Gateway unreachable/);
  });

  it('shows "unreachable" with the reason, said once, when the frontend server cannot reach the gateway (502)', async () => {
    const problem = {
      title: 'The gateway is unreachable',
      status: 502,
      detail: 'The frontend server could not reach the gateway (ECONNREFUSED): is it running, and is GATEWAY_URL right?',
    };
    gatewayWith(() => json(problem, 502)).on('GET /api/tasks', () => json(problem, 502));
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unreachable'));
    // Its title is the banner's heading and its question the banner's advice: neither twice.
    expect(screen.getByTestId('gateway-unreachable').firstElementChild!.textContent).toBe(
      `The gateway is unreachable. ${problem.detail} The page checks again every ${RECHECK_INTERVAL_MS / 1000} s.`,
    );
    expect((await screen.findByTestId('tasks-error')).className).toContain('alert-unreachable');
  });

  it('shows a service behind a healthy gateway as unavailable, not the gateway as unreachable', async () => {
    const problem = {
      title: 'The orchestrator service refuses the gateway',
      status: 502,
      detail: 'The gateway is not configured as the service expects; try again later.',
      service: 'orchestrator',
    };
    gatewayWith(() => json({ name: 'gateway', version: '1' })).on('GET /api/tasks', () => json(problem, 502));
    render(<App />);

    const box = await screen.findByTestId('tasks-error');
    expect(box.textContent).toContain('Service unavailable');
    expect(box.textContent).toContain('The orchestrator service refuses the gateway: The gateway is not configured');
    expect(box.textContent).not.toContain('Gateway unreachable');
    expect(box.getAttribute('data-service')).toBe('orchestrator');
    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
  });

  it('shows "unavailable", not "unreachable", when the gateway answers 503, with what it said', async () => {
    let up = false;
    // What ASP.NET's status code pages write for a bare 503.
    const problem = { type: 'https://tools.ietf.org/html/rfc9110#section-15.6.4', title: 'Service Unavailable', status: 503 };
    gatewayWith(() => (up ? healthy() : json(problem, 503)));
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unavailable'));
    const banner = screen.getByTestId('gateway-unreachable');
    expect(banner.getAttribute('role')).toBe('alert');
    expect(banner.firstElementChild!.textContent).toBe(
      'The gateway is unavailable. Service Unavailable (HTTP 503). Something answered for it that cannot ' +
        'serve now: the gateway starting or stopping, or a proxy in front of it with no gateway ready; if this lasts, see their logs. ' +
        `The page checks again every ${RECHECK_INTERVAL_MS / 1000} s.`,
    );

    up = true;
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));
    expect(screen.getByRole('button', { name: 'Checking…' })).toBeTruthy();
    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
  });

  it('shows a 503 without a body as what it is', async () => {
    gatewayWith(() => new Response('', { status: 503 }));
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unavailable'));
    expect(screen.getByText('GET /api/info failed: HTTP 503')).toBeTruthy();
    expect(screen.getByTestId('gateway-unreachable').textContent).not.toContain('unreachable');
  });

  it('checks again every so often while the gateway answers 503', async () => {
    vi.useFakeTimers();
    let up = false;
    const gateway = gatewayWith(() => (up ? healthy() : new Response('', { status: 503 })));
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(gatewayStatus().textContent).toBe('gateway: unavailable');

    up = true;
    await act(() => vi.advanceTimersByTimeAsync(RECHECK_INTERVAL_MS));

    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);
  });

  it('ends a reason that has its own full stop with that one alone', async () => {
    // The 401's advice ends with a stop; the banner added another ("...frontend server runs.. Start the system").
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => Promise.resolve(new Response(null, { status: 401 }))));
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unreachable'));
    const text = screen.getByTestId('gateway-unreachable').firstElementChild!.textContent!;
    expect(text).toContain('where the frontend server runs. Start the system');
    expect(text).not.toContain('..');
  });

  it('shows "unreachable" when the gateway does not answer in time', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => new Promise<Response>(() => {})));
    render(<App />);

    await act(async () => vi.advanceTimersByTime(HEALTH_TIMEOUT_MS));

    expect(gatewayStatus().textContent).toBe('gateway: unreachable');
    expect(screen.getByText(`No answer within ${HEALTH_TIMEOUT_MS / 1000} s`)).toBeTruthy();
  });

  it('waits longer than the frontend server tries to connect to the gateway, so its 502 is what the banner says', async () => {
    // Not a static import: this project has no types for the server's JavaScript.
    const { DEFAULT_TIMEOUTS } = await vi.importActual<{ DEFAULT_TIMEOUTS: { connectMs: number } }>('../server/apiProxy.mjs');
    const nginxConnect = /proxy_connect_timeout (\d+)s;/.exec(nginxConf)?.[1];
    expect(nginxConnect).toBeDefined();
    // A second for the server's answer to arrive; the node server and the nginx image are both the frontend server.
    expect(HEALTH_TIMEOUT_MS).toBeGreaterThanOrEqual(DEFAULT_TIMEOUTS.connectMs + 1_000);
    expect(HEALTH_TIMEOUT_MS).toBeGreaterThanOrEqual(Number(nginxConnect) * 1_000 + 1_000);

    vi.useFakeTimers();
    const problem = {
      title: 'The gateway is unreachable',
      status: 502,
      detail: `The frontend server could not reach the gateway (no connection within ${DEFAULT_TIMEOUTS.connectMs / 1000} s): is it running, and is GATEWAY_URL right?`,
    };
    gatewayWith(() => new Promise<Response>((resolve) => setTimeout(() => resolve(json(problem, 502)), DEFAULT_TIMEOUTS.connectMs)));
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUTS.connectMs));

    expect(screen.getByTestId('gateway-unreachable').textContent).toContain(problem.detail);
  });

  it('does not tell to start a system that takes the request and does not answer; a refused one, yes', async () => {
    vi.useFakeTimers();
    let refused = false;
    gatewayWith(() => (refused ? Promise.reject(new TypeError('Failed to fetch')) : new Promise<Response>(() => {})));
    render(<App />);
    await act(async () => vi.advanceTimersByTime(HEALTH_TIMEOUT_MS));

    const banner = screen.getByTestId('gateway-unreachable');
    expect(banner.textContent).toContain(
      `No answer within ${HEALTH_TIMEOUT_MS / 1000} s. Something takes the request and does not answer: the gateway or its host may be paused or overloaded. The page checks again every ${RECHECK_INTERVAL_MS / 1000} s.`,
    );
    expect(banner.textContent).not.toContain('Start the system');

    refused = true;
    await act(() => vi.advanceTimersByTimeAsync(RECHECK_INTERVAL_MS));
    expect(screen.getByTestId('gateway-unreachable').textContent).toContain(
      'No answer from the server: Failed to fetch. Start the system (see the README), or check GATEWAY_URL',
    );
  });

  it('keeps the banner, and the focus on its button, while "Check again" runs', async () => {
    vi.useFakeTimers();
    let up = false;
    gatewayWith(() => (up ? healthy() : new Promise<Response>(() => {})));
    render(<App />);
    await act(async () => vi.advanceTimersByTime(HEALTH_TIMEOUT_MS));
    const button = screen.getByRole('button', { name: 'Check again' });
    button.focus();

    fireEvent.click(button);
    // Not gone as if the gateway were back: what the last check found, and that this one runs.
    expect(screen.getByTestId('gateway-unreachable').textContent).toContain(`No answer within ${HEALTH_TIMEOUT_MS / 1000} s`);
    expect(button.textContent).toBe('Checking…');
    expect(button.getAttribute('aria-busy')).toBe('true');
    expect(document.activeElement).toBe(button);

    await act(async () => vi.advanceTimersByTime(HEALTH_TIMEOUT_MS));
    expect(screen.getByRole('button', { name: 'Check again' })).toBe(button);
    expect(document.activeElement).toBe(button);

    up = true;
    fireEvent.click(button);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    expect(screen.queryByTestId('gateway-unreachable')).toBeNull();
  });

  it('puts the focus on the page once "Check again" finds the gateway back, where it fell to the body with the banner', async () => {
    let up = false;
    gatewayWith(() => {
      if (!up) throw new TypeError('Failed to fetch');
      return healthy();
    });
    render(<App />);
    const button = await screen.findByRole('button', { name: 'Check again' });
    button.focus();

    up = true;
    fireEvent.click(button);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
    expect(document.activeElement).toBe(screen.getByRole('main'));
    // Said once: by the header's status, a live region, which the focus does not read again.
    expect(gatewayStatus().getAttribute('role')).toBe('status');
    expect(screen.getByRole('main').textContent).not.toContain('healthy');
  });

  it('leaves the focus where it is when the banner goes without it', async () => {
    vi.useFakeTimers();
    let up = false;
    gatewayWith(() => {
      if (!up) throw new TypeError('Failed to fetch');
      return healthy();
    });
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    const link = screen.getByTestId('nav-chat');
    link.focus();

    up = true;
    await act(() => vi.advanceTimersByTimeAsync(RECHECK_INTERVAL_MS));

    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    expect(document.activeElement).toBe(link);
  });

  it('checks again on request', async () => {
    let up = false;
    const gateway = gatewayWith(() => {
      if (!up) throw new TypeError('Failed to fetch');
      return healthy();
    });
    render(<App />);
    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: unreachable'));

    up = true;
    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
    expect(screen.queryByTestId('gateway-unreachable')).toBeNull();
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);
  });

  it('checks again by itself while unreachable', async () => {
    vi.useFakeTimers();
    let up = false;
    const gateway = gatewayWith(() => {
      if (!up) throw new TypeError('Failed to fetch');
      return healthy();
    });
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(gatewayStatus().textContent).toBe('gateway: unreachable');

    up = true;
    await act(() => vi.advanceTimersByTimeAsync(RECHECK_INTERVAL_MS));

    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);
  });

  it('checks again by itself while healthy, so a gateway that hangs is not shown healthy', async () => {
    vi.useFakeTimers();
    let hung = false;
    const gateway = gatewayWith(() => (hung ? new Promise<Response>(() => {}) : healthy()));
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(gatewayStatus().textContent).toBe('gateway: healthy');

    hung = true; // kill -STOP: the connection stays open, nothing answers
    await act(() => vi.advanceTimersByTimeAsync(HEALTHY_RECHECK_INTERVAL_MS));
    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    await act(() => vi.advanceTimersByTimeAsync(HEALTH_TIMEOUT_MS));

    expect(gatewayStatus().textContent).toBe('gateway: unreachable');
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);
  });

  it('checks at once when another call gets no answer from the frontend server, and stays healthy when the gateway answers', async () => {
    vi.useFakeTimers();
    let up = true;
    let listFails = false;
    const gateway = gatewayWith(() => (up ? healthy() : new Response('', { status: 502 })));
    gateway.on('GET /api/tasks', () => (listFails ? new Response('', { status: 504 }) : json(emptyPage)));
    render(<App />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(gatewayStatus().textContent).toBe('gateway: healthy');
    const reload = async () => {
      fireEvent.click(screen.getByTestId('nav-new-task'));
      fireEvent.click(screen.getByTestId('nav-tasks'));
      await act(() => vi.advanceTimersByTimeAsync(0));
    };

    listFails = true; // the frontend server's timeout: the gateway, or what is behind it?
    await act(() => vi.advanceTimersByTimeAsync(TROUBLE_CHECK_SPACING_MS));
    await reload();
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);
    expect(gatewayStatus().textContent).toBe('gateway: healthy'); // the gateway answers: it is what is behind it

    await reload(); // failing again at once: no second check so soon (a page polling a down service)
    await reload();
    expect(gateway.sent('GET', '/api/info')).toHaveLength(2);

    up = false;
    await act(() => vi.advanceTimersByTimeAsync(TROUBLE_CHECK_SPACING_MS));
    await reload();
    expect(gatewayStatus().textContent).toBe('gateway: unreachable');
  });

  it('holds no API key: no request carries one, and every request goes to the page\'s own origin', async () => {
    const gateway = gatewayWith(healthy);
    render(<App />);

    await waitFor(() => expect(gatewayStatus().textContent).toBe('gateway: healthy'));
    expect(gateway.requests.length).toBeGreaterThan(0);
    expect(gateway.requests.some((r) => r.headers.has('X-Api-Key') || r.headers.has('Authorization'))).toBe(false);
    expect(gateway.requests.every((r) => r.url.origin === 'http://frontend.test')).toBe(true);
  });
});

describe('App routing', () => {
  it('shows the task list at /, and moves between pages through the navigation', async () => {
    gatewayWith(healthy);
    render(<App />);
    expect(await screen.findByTestId('tasks-empty')).toBeTruthy();
    expect(screen.getByTestId('nav-tasks').getAttribute('aria-current')).toBe('page');

    fireEvent.click(screen.getByTestId('nav-new-task'));
    expect(window.location.pathname).toBe('/new');
    expect(screen.getByTestId('goal-input')).toBeTruthy();
    expect(document.title).toBe('New task · AgentSystem');

    fireEvent.click(screen.getByTestId('nav-chat'));
    expect(screen.getByTestId('chat-input')).toBeTruthy();

    act(() => window.history.back());
    await waitFor(() => expect(screen.queryByTestId('goal-input')).toBeTruthy());
  });

  it('opens the new task page after a submission', async () => {
    const gateway = gatewayWith(healthy)
      .on('POST /api/tasks', () => json(makeTask({ id: 'abc', status: 'queued' }), 202))
      .on('GET /api/tasks/abc', () => json(makeTask({ id: 'abc', status: 'succeeded' })));
    window.history.replaceState(null, '', '/new');
    render(<App />);

    fireEvent.change(screen.getByTestId('goal-input'), { target: { value: 'Summarise: the quick brown fox' } });
    fireEvent.click(screen.getByTestId('task-submit'));

    await waitFor(() => expect(window.location.pathname).toBe('/tasks/abc'));
    expect((await screen.findByTestId('task-status')).textContent).toBe('succeeded');
    expect(JSON.parse(gateway.sent('POST', '/api/tasks')[0]!.body!)).toEqual({ goal: 'Summarise: the quick brown fox' });
  });

  it('answers unknown paths with a not-found page', () => {
    gatewayWith(healthy);
    window.history.replaceState(null, '', '/nowhere');
    render(<App />);
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeTruthy();
  });
});

// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { API_KEY_HEADER } from './api';
import { App } from './App';
import { HEALTH_TIMEOUT_MS } from './GatewayStatus';

const config = { gatewayUrl: 'http://gateway.test:8080', apiKey: '' };

function healthy(): Response {
  return new Response('{"status":"Healthy"}', { status: 200, headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('App', () => {
  it('shows the header and the configured gateway address', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => healthy()));
    render(<App config={config} />);

    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('AgentSystem');
    expect(screen.getByTestId('gateway-url').textContent).toBe('http://gateway.test:8080');
    await screen.findByText('gateway: healthy');
  });

  it('shows "checking" until the gateway answers, then "healthy"', async () => {
    let answer: (response: Response) => void = () => {};
    const fetchMock = vi.fn<typeof fetch>(() => new Promise<Response>((resolve) => (answer = resolve)));
    vi.stubGlobal('fetch', fetchMock);

    render(<App config={config} />);
    expect(screen.getByRole('status').textContent).toBe('gateway: checking…');

    await act(async () => answer(healthy()));

    expect(screen.getByRole('status').textContent).toBe('gateway: healthy');
    expect(String(fetchMock.mock.calls[0]![0])).toBe('http://gateway.test:8080/healthz');
  });

  it('shows "unreachable" with the reason when the request fails', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => Promise.reject(new TypeError('Failed to fetch'))));
    render(<App config={config} />);

    await screen.findByText('gateway: unreachable');
    expect(screen.getByText('Failed to fetch')).toBeTruthy();
  });

  it('shows "unreachable" when the gateway answers with an error status', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(async () => new Response('', { status: 503 })));
    render(<App config={config} />);

    await screen.findByText('gateway: unreachable');
    expect(screen.getByText('GET /healthz failed: HTTP 503')).toBeTruthy();
  });

  it('shows "unreachable" when the gateway does not answer in time', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => new Promise<Response>(() => {})));
    render(<App config={config} />);

    await act(async () => vi.advanceTimersByTime(HEALTH_TIMEOUT_MS));

    expect(screen.getByRole('status').textContent).toBe('gateway: unreachable');
    expect(screen.getByText(`no answer within ${HEALTH_TIMEOUT_MS / 1000} s`)).toBeTruthy();
  });

  it('checks again on request', async () => {
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch'))
      .mockResolvedValueOnce(healthy());
    vi.stubGlobal('fetch', fetchMock);
    render(<App config={config} />);
    await screen.findByText('gateway: unreachable');

    fireEvent.click(screen.getByRole('button', { name: 'Check again' }));

    await screen.findByText('gateway: healthy');
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('sends the configured API key', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => healthy());
    vi.stubGlobal('fetch', fetchMock);
    render(<App config={{ ...config, apiKey: 'k-123' }} />);

    await screen.findByText('gateway: healthy');
    expect(new Headers(fetchMock.mock.calls[0]![1]?.headers).get(API_KEY_HEADER)).toBe('k-123');
  });
});

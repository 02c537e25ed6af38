// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../api';
import { fakeGateway, json, sseStream, type SseStream } from '../test-utils';
import { ChatPage } from './ChatPage';
import { streamChat } from './streamChat';

afterEach(cleanup);

function chatGateway() {
  const streams: SseStream[] = [];
  const gateway = fakeGateway().on('POST /api/chat', (r) => {
    const s = sseStream(r.signal);
    streams.push(s);
    return s.response;
  });
  return { gateway, streams };
}

function renderChat(gateway: ReturnType<typeof fakeGateway>) {
  const api = createApiClient({ baseUrl: 'http://gw', apiKey: 'k', fetch: gateway.fetch });
  render(<ChatPage api={api} gatewayUrl="http://gw" />);
}

function type(text: string) {
  fireEvent.change(screen.getByTestId('chat-input'), { target: { value: text } });
}

const messages = () => screen.getAllByTestId('chat-message');

describe('streamChat', () => {
  it('collects deltas, the metadata and stops at [DONE]', async () => {
    const { gateway, streams } = chatGateway();
    const api = createApiClient({ baseUrl: 'http://gw', fetch: gateway.fetch });
    const deltas: string[] = [];
    const metas: unknown[] = [];
    const result = streamChat(api, { conversationId: null, messages: [{ role: 'user', content: 'Hi' }] }, {
      onDelta: (d) => deltas.push(d),
      onMeta: (m) => metas.push(m),
    });
    await waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.send('data: {"delta":"Hel');
    streams[0]!.send('lo"}\n\n: ping\n\ndata: {"delta":" there"}\n\n');
    streams[0]!.send('data: {"conversationId":"c1","provider":"offline"}\n\ndata: [DONE]\n\n');

    await expect(result).resolves.toEqual({ content: 'Hello there', complete: true });
    expect(deltas).toEqual(['Hello', ' there']);
    expect(metas).toEqual([{ conversationId: 'c1', provider: 'offline' }]);
  });

  it('accepts a plain JSON answer too', async () => {
    const gateway = fakeGateway().on('POST /api/chat', () =>
      json({ conversationId: 'c2', provider: 'openai', message: { role: 'assistant', content: 'Whole answer' } }),
    );
    const api = createApiClient({ baseUrl: 'http://gw', fetch: gateway.fetch });
    const deltas: string[] = [];
    const result = await streamChat(api, { conversationId: null, messages: [] }, { onDelta: (d) => deltas.push(d), onMeta: () => {} });
    expect(result).toEqual({ content: 'Whole answer', complete: true });
    expect(deltas).toEqual(['Whole answer']);
  });
});

describe('ChatPage', () => {
  it('renders deltas as they arrive, shows the provider, and keeps the conversation id for follow-ups', async () => {
    const { gateway, streams } = chatGateway();
    renderChat(gateway);
    expect((screen.getByTestId('chat-send') as HTMLButtonElement).disabled).toBe(true);

    type('Hello');
    fireEvent.click(screen.getByTestId('chat-send'));

    await waitFor(() => expect(streams).toHaveLength(1));
    expect(messages().map((m) => m.dataset.role)).toEqual(['user', 'assistant']);
    expect(messages()[0]!.textContent).toContain('Hello');
    expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe('');
    expect(screen.getByTestId('chat-messages').getAttribute('aria-busy')).toBe('true');
    expect(screen.getByTestId('chat-stop')).toBeTruthy();

    await act(async () => streams[0]!.event('message', { delta: '[offline] ' }));
    await waitFor(() => expect(screen.getAllByTestId('chat-message-content')[1]!.textContent).toBe('[offline] '));
    await act(async () => streams[0]!.event('message', { delta: 'You said: Hello' }));
    await waitFor(() => expect(screen.getAllByTestId('chat-message-content')[1]!.textContent).toBe('[offline] You said: Hello'));
    expect(messages()[1]!.dataset.state).toBe('streaming');

    await act(async () => {
      streams[0]!.event('message', { conversationId: 'conv-1', provider: 'offline' });
      streams[0]!.send('data: [DONE]\n\n');
    });
    await waitFor(() => expect(messages()[1]!.dataset.state).toBe('done'));
    expect(screen.getByTestId('chat-provider').textContent).toBe('offline');
    expect(screen.getByTestId('chat-provider').className).toContain('badge-offline');
    expect(screen.getByTestId('chat-conversation').textContent).toBe('conv-1');
    expect(screen.getByTestId('chat-messages').getAttribute('aria-busy')).toBe('false');

    type('And again');
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter' });
    await waitFor(() => expect(streams).toHaveLength(2));

    const bodies = gateway.sent('POST', '/api/chat').map((r) => JSON.parse(r.body!));
    expect(bodies[0]).toEqual({ conversationId: null, messages: [{ role: 'user', content: 'Hello' }], stream: true });
    expect(bodies[1]).toEqual({ conversationId: 'conv-1', messages: [{ role: 'user', content: 'And again' }], stream: true });
    expect(gateway.requests[0]!.headers.get('Accept')).toBe('text/event-stream');
    expect(gateway.requests[0]!.headers.get('X-Api-Key')).toBe('k');
  });

  it('stops a streaming answer', async () => {
    const { gateway, streams } = chatGateway();
    renderChat(gateway);
    type('Tell me a long story');
    fireEvent.click(screen.getByTestId('chat-send'));
    await waitFor(() => expect(streams).toHaveLength(1));
    await act(async () => streams[0]!.event('message', { delta: 'Once upon' }));

    fireEvent.click(screen.getByTestId('chat-stop'));

    await waitFor(() => expect(messages()[1]!.dataset.state).toBe('stopped'));
    expect(screen.getAllByTestId('chat-message-content')[1]!.textContent).toBe('Once upon');
    expect(screen.getByTestId('chat-send')).toBeTruthy();
  });

  it('shows a failed request on the answer', async () => {
    const gateway = fakeGateway().on('POST /api/chat', () => json({ title: 'Too Many Requests', status: 429 }, 429));
    renderChat(gateway);
    type('Hi');
    fireEvent.click(screen.getByTestId('chat-send'));

    expect((await screen.findByTestId('chat-error')).textContent).toBe('Too Many Requests (HTTP 429)');
    expect(messages()[1]!.dataset.state).toBe('error');
  });

  it('does not send on Shift+Enter or with only whitespace', () => {
    const { gateway } = chatGateway();
    renderChat(gateway);
    type('line one');
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter', shiftKey: true });
    type('   ');
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter' });
    expect(gateway.fetch).not.toHaveBeenCalled();
  });
});

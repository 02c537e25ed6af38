// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../api';
import { App } from '../App';
import { fakeGateway, json, sseStream, type SseStream } from '../test-utils';
import type { ConversationSummary } from '../types';
import { ChatPage } from './ChatPage';
import { rememberedConversation, rememberConversation } from './currentConversation';
import { streamChat } from './streamChat';

beforeEach(() => {
  localStorage.clear();
  window.history.replaceState(null, '', '/chat');
});
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
  render(<ChatPage api={createApiClient({ fetch: gateway.fetch })} id={null} />);
}

/** The whole app at `path`, so the URL drives the page as in a browser (reloads, links, back). */
function renderAppAt(path: string, gateway: ReturnType<typeof fakeGateway>) {
  window.history.replaceState(null, '', path);
  render(<App api={createApiClient({ fetch: gateway.fetch })} />);
}

function summary(id: string, title: string, messageCount = 2): ConversationSummary {
  return { id, title, createdAt: '2026-11-21T14:00:00Z', updatedAt: '2026-11-21T14:05:00Z', messageCount };
}

const storedConversation = {
  id: 'conv-7',
  createdAt: '2026-11-21T14:00:00Z',
  messages: [
    { role: 'user', content: 'What is 2+2?', createdAt: '2026-11-21T14:00:00Z' },
    { role: 'assistant', content: '[offline] You said: What is 2+2?', createdAt: '2026-11-21T14:00:01Z' },
  ],
  messageCount: 2,
};

function type(text: string) {
  fireEvent.change(screen.getByTestId('chat-input'), { target: { value: text } });
}

const messages = () => screen.getAllByTestId('chat-message');

/** A chat page with `text` sent, once the stream of its answer is open. */
async function sendAndOpenAnswer(text: string): Promise<SseStream> {
  const { gateway, streams } = chatGateway();
  renderChat(gateway);
  type(text);
  fireEvent.click(screen.getByTestId('chat-send'));
  await waitFor(() => expect(streams).toHaveLength(1));
  return streams[0]!;
}

describe('streamChat', () => {
  it('collects deltas, the metadata and stops at [DONE]', async () => {
    const { gateway, streams } = chatGateway();
    const api = createApiClient({ fetch: gateway.fetch });
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
    const api = createApiClient({ fetch: gateway.fetch });
    const deltas: string[] = [];
    const result = await streamChat(api, { conversationId: null, messages: [] }, { onDelta: (d) => deltas.push(d), onMeta: () => {} });
    expect(result).toEqual({ content: 'Whole answer', complete: true });
    expect(deltas).toEqual(['Whole answer']);
  });

  it('passes on that the service cut the reply, streamed or whole', async () => {
    const whole = fakeGateway().on('POST /api/chat', () =>
      json({ conversationId: 'c3', provider: 'openai-compatible', message: { role: 'assistant', content: 'cut' }, truncated: true }),
    );
    const metas: unknown[] = [];
    const handlers = { onDelta: () => {}, onMeta: (m: unknown) => metas.push(m) };
    await streamChat(createApiClient({ fetch: whole.fetch }), { conversationId: null, messages: [] }, handlers);
    expect(metas).toEqual([{ conversationId: 'c3', provider: 'openai-compatible', truncated: true }]);

    const { gateway, streams } = chatGateway();
    const streamed = streamChat(createApiClient({ fetch: gateway.fetch }), { conversationId: null, messages: [] }, handlers);
    await waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.send('data: {"delta":"cut"}\n\n');
    streams[0]!.send('data: {"conversationId":"c4","provider":"openai-compatible","truncated":true}\n\ndata: [DONE]\n\n');
    await streamed;
    expect(metas[1]).toEqual({ conversationId: 'c4', provider: 'openai-compatible', truncated: true });
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
    expect(gateway.sent('POST', '/api/chat')[0]!.headers.get('Accept')).toBe('text/event-stream');
    expect(gateway.sent('POST', '/api/chat')[0]!.headers.has('X-Api-Key')).toBe(false);
  });

  it('says under a reply that the service cut it at a message\'s size', async () => {
    const stream = await sendAndOpenAnswer('Repeat this forever');

    await act(async () => {
      stream.event('message', { delta: 'again and again' });
      stream.event('message', { conversationId: 'conv-2', provider: 'openai-compatible', truncated: true });
      stream.send('data: [DONE]\n\n');
    });

    await waitFor(() => expect(messages()[1]!.dataset.state).toBe('done'));
    expect(screen.getByTestId('chat-truncated').textContent).toBe('the reply was cut at 32 KiB, the longest message a conversation keeps');
    expect(screen.getAllByTestId('chat-truncated')).toHaveLength(1);
  });

  it('stops a streaming answer', async () => {
    const stream = await sendAndOpenAnswer('Tell me a long story');
    await act(async () => stream.event('message', { delta: 'Once upon' }));

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
    expect(gateway.sent('POST', '/api/chat')).toHaveLength(0);
  });

  it('sends on Cmd+Enter (or Ctrl+Enter) with Shift too, as the task form submits, but not while an input method composes', async () => {
    const { gateway } = chatGateway();
    renderChat(gateway);
    type('Hello');
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter', isComposing: true });
    expect(gateway.sent('POST', '/api/chat')).toHaveLength(0);

    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter', metaKey: true, shiftKey: true });
    await waitFor(() => expect(gateway.sent('POST', '/api/chat')).toHaveLength(1));
  });

  it('says a message over 32 KiB of UTF-8 is too long before sending, and keeps it in the box', () => {
    const { gateway } = chatGateway();
    renderChat(gateway);
    const text = 'é'.repeat(16 * 1024) + 'x';   // 32,769 bytes of UTF-8, 16,385 characters
    type(text);

    expect(screen.getByTestId('chat-input-error').textContent).toBe(
      'The message is 32,769 bytes of UTF-8; at most 32,768 bytes (32 KiB) are allowed.',
    );
    // The live region's words do not change with each key: only they are announced.
    expect(screen.getByRole('alert').textContent).toBe('Cannot be sent. ');
    expect(screen.getByTestId('chat-input').getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByTestId('chat-send') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter' });
    expect(gateway.sent('POST', '/api/chat')).toHaveLength(0);
    expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).value).toBe(text);
    expect(screen.queryAllByTestId('chat-message')).toHaveLength(0);

    type(text.slice(1));
    expect(screen.queryByTestId('chat-input-error')).toBeNull();
    expect((screen.getByTestId('chat-send') as HTMLButtonElement).disabled).toBe(false);
  });

  it('says a message with a NUL character cannot be sent, as the server would refuse it', () => {
    const { gateway } = chatGateway();
    renderChat(gateway);
    type('a\0b');

    expect(screen.getByTestId('chat-input-error').textContent).toMatch(/^The message contains a NUL character \(U\+0000\) at position 1/);
    fireEvent.keyDown(screen.getByTestId('chat-input'), { key: 'Enter' });
    expect(gateway.sent('POST', '/api/chat')).toHaveLength(0);
  });
});

describe('ChatPage keeps the conversation', () => {
  it('puts a new conversation in the URL and remembers it once the first answer names it', async () => {
    const { gateway, streams } = chatGateway();
    gateway.on('GET /api/chat/conversations', () => json({ items: [], page: 1, pageSize: 20, total: 0 }));
    renderAppAt('/chat', gateway);

    type('Hello');
    fireEvent.click(screen.getByTestId('chat-send'));
    await waitFor(() => expect(streams).toHaveLength(1));
    await act(async () => {
      streams[0]!.event('message', { delta: 'Hi' });
      streams[0]!.event('message', { conversationId: 'conv-1', provider: 'offline' });
      streams[0]!.send('data: [DONE]\n\n');
    });

    await waitFor(() => expect(window.location.pathname).toBe('/chat/conv-1'));
    expect(rememberedConversation()).toBe('conv-1');
    // The page did not reload what it already shows.
    expect(gateway.sent('GET', '/api/chat/conversations/conv-1')).toHaveLength(0);
    expect(messages().map((m) => m.dataset.state)).toEqual(['done', 'done']);
    // The list is read again after the answer, so the new conversation appears there.
    expect(gateway.sent('GET', '/api/chat/conversations').length).toBeGreaterThanOrEqual(2);
  });

  it('shows the stored conversation at /chat/{id} (a reload), and continues it', async () => {
    const { gateway, streams } = chatGateway();
    gateway
      .on('GET /api/chat/conversations/conv-7', () => json(storedConversation))
      .on('GET /api/chat/conversations', () => json({ items: [summary('conv-7', 'What is 2+2?')], page: 1, pageSize: 20, total: 1 }));
    renderAppAt('/chat/conv-7', gateway);

    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(screen.getAllByTestId('chat-message-content').map((m) => m.textContent)).toEqual([
      'What is 2+2?',
      '[offline] You said: What is 2+2?',
    ]);
    expect(screen.getByTestId('chat-conversation').textContent).toBe('conv-7');
    expect(rememberedConversation()).toBe('conv-7');
    const current = await screen.findByRole('link', { current: 'page', name: /What is 2\+2\?/ });
    expect(current.dataset.conversationId).toBe('conv-7');

    type('And 3+3?');
    fireEvent.click(screen.getByTestId('chat-send'));
    await waitFor(() => expect(streams).toHaveLength(1));
    expect(JSON.parse(gateway.sent('POST', '/api/chat')[0]!.body!).conversationId).toBe('conv-7');
  });

  it('says how many earlier messages of a long conversation are not shown', async () => {
    const gateway = fakeGateway().on('GET /api/chat/conversations/conv-7', () => json({ ...storedConversation, messageCount: 130 }));
    renderAppAt('/chat/conv-7', gateway);

    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(screen.getByTestId('chat-earlier').textContent).toMatch(/^128 earlier messages of this conversation not shown/);
  });

  it('shows no such line for a conversation shown whole', async () => {
    const gateway = fakeGateway().on('GET /api/chat/conversations/conv-7', () => json(storedConversation));
    renderAppAt('/chat/conv-7', gateway);

    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(screen.queryByTestId('chat-earlier')).toBeNull();
  });

  it('opens the remembered conversation at /chat', async () => {
    rememberConversation('conv-7');
    const gateway = fakeGateway().on('GET /api/chat/conversations/conv-7', () => json(storedConversation));
    renderAppAt('/chat', gateway);

    await waitFor(() => expect(window.location.pathname).toBe('/chat/conv-7'));
    await waitFor(() => expect(messages()).toHaveLength(2));
  });

  it('says so when the conversation is gone, forgets it, and starts a new one on request', async () => {
    rememberConversation('gone');
    const gateway = fakeGateway().on('GET /api/chat/conversations/gone', () => json({ title: 'Conversation not found', status: 404 }, 404));
    renderAppAt('/chat/gone', gateway);

    expect((await screen.findByTestId('chat-not-found')).textContent).toContain('gone');
    expect(rememberedConversation()).toBeNull();
    expect((screen.getByTestId('chat-input') as HTMLTextAreaElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Start a new conversation' }));

    expect(window.location.pathname).toBe('/chat');
    expect(screen.queryByTestId('chat-not-found')).toBeNull();
    expect(screen.getByTestId('chat-empty')).toBeTruthy();
  });

  it('"New conversation" forgets the current one and stays on /chat', async () => {
    const gateway = fakeGateway().on('GET /api/chat/conversations/conv-7', () => json(storedConversation));
    renderAppAt('/chat/conv-7', gateway);
    await waitFor(() => expect(messages()).toHaveLength(2));

    fireEvent.click(screen.getByTestId('chat-new'));

    expect(window.location.pathname).toBe('/chat');
    expect(rememberedConversation()).toBeNull();
    expect(screen.queryAllByTestId('chat-message')).toHaveLength(0);
    expect(screen.queryByTestId('chat-conversation')).toBeNull();
  });
});

describe('the conversation list', () => {
  it('offers no page beyond the 10,000 conversations the server lists', async () => {
    const gateway = fakeGateway().on('GET /api/chat/conversations', (r) =>
      json({ items: [summary(`conv-${r.url.searchParams.get('page')}`, 'q')], page: Number(r.url.searchParams.get('page')), pageSize: 20, total: 40, totalExact: false }),
    );
    renderAppAt('/chat', gateway);

    await waitFor(() => expect(screen.getAllByTestId('chat-conversation-item')).toHaveLength(1));
    fireEvent.click(screen.getByTestId('chat-conversations-more'));
    await waitFor(() => expect(screen.getAllByTestId('chat-conversation-item')).toHaveLength(2));

    // Page 2 of 20 reaches the 40 the server counted: a third would start past what it lists.
    expect(screen.queryByTestId('chat-conversations-more')).toBeNull();
  });

  it('lists the conversations, opens one on click, and pages with "More"', async () => {
    const gateway = fakeGateway()
      .on('GET /api/chat/conversations', (r) =>
        r.url.searchParams.get('page') === '2'
          ? json({ items: [summary('conv-7', 'What is 2+2?')], page: 2, pageSize: 20, total: 2 })
          : json({ items: [summary('conv-8', 'Newest question', 4)], page: 1, pageSize: 20, total: 2 }),
      )
      .on('GET /api/chat/conversations/conv-7', () => json(storedConversation));
    renderAppAt('/chat', gateway);

    const items = () => screen.getAllByTestId('chat-conversation-item');
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(items()[0]!.textContent).toContain('Newest question');
    expect(items()[0]!.textContent).toContain('4 messages');

    fireEvent.click(screen.getByTestId('chat-conversations-more'));
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(screen.queryByTestId('chat-conversations-more')).toBeNull();

    fireEvent.click(items()[1]!);

    await waitFor(() => expect(window.location.pathname).toBe('/chat/conv-7'));
    await waitFor(() => expect(messages()).toHaveLength(2));
    expect(items()[1]!.getAttribute('aria-current')).toBe('page');
  });
});

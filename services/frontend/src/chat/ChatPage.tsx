import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { describeError, isAbortError, isNetworkError, type ApiClient } from '../api';
import { streamChat } from './streamChat';

interface ChatPageProps {
  readonly api: ApiClient;
  readonly gatewayUrl: string;
}

type MessageState = 'done' | 'streaming' | 'stopped' | 'incomplete' | 'error';

interface ShownMessage {
  readonly id: number;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly state: MessageState;
  readonly error?: string;
}

/**
 * A conversation with the chat service. Each send posts only the new user message with the conversationId the first
 * answer returned: the service keeps the conversation (docs/api.md, GET /api/chat/conversations/{id}), so the history
 * is not sent again.
 */
export function ChatPage({ api, gatewayUrl }: ChatPageProps) {
  const [messages, setMessages] = useState<readonly ShownMessage[]>([]);
  const [input, setInput] = useState('');
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [provider, setProvider] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const nextId = useRef(1);
  const controller = useRef<AbortController | null>(null);
  const logRef = useRef<HTMLOListElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => () => controller.current?.abort(), []);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages]);

  const updateMessage = (id: number, change: (m: ShownMessage) => ShownMessage) =>
    setMessages((current) => current.map((m) => (m.id === id ? change(m) : m)));

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const text = input.trim();
    if (text === '' || controller.current !== null) return;

    const userId = nextId.current++;
    const answerId = nextId.current++;
    setMessages((current) => [
      ...current,
      { id: userId, role: 'user', content: text, state: 'done' },
      { id: answerId, role: 'assistant', content: '', state: 'streaming' },
    ]);
    setInput('');
    setStreaming(true);
    const abort = new AbortController();
    controller.current = abort;

    try {
      const result = await streamChat(
        api,
        { conversationId, messages: [{ role: 'user', content: text }] },
        {
          onDelta: (delta) => updateMessage(answerId, (m) => ({ ...m, content: m.content + delta })),
          onMeta: (meta) => {
            if (meta.conversationId !== undefined) setConversationId(meta.conversationId);
            if (meta.provider !== undefined) setProvider(meta.provider);
          },
        },
        abort.signal,
      );
      updateMessage(answerId, (m) => ({ ...m, state: result.complete ? 'done' : 'incomplete' }));
    } catch (error) {
      if (isAbortError(error)) {
        updateMessage(answerId, (m) => ({ ...m, state: 'stopped' }));
      } else {
        const reason = isNetworkError(error)
          ? `Gateway unreachable (${gatewayUrl}): ${(error as Error).message}`
          : describeError(error);
        updateMessage(answerId, (m) => ({ ...m, state: 'error', error: reason }));
      }
    } finally {
      controller.current = null;
      setStreaming(false);
      inputRef.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  };

  const newConversation = () => {
    controller.current?.abort();
    setMessages([]);
    setConversationId(null);
    setProvider(null);
    inputRef.current?.focus();
  };

  return (
    <section className="card chat" aria-labelledby="chat-heading">
      <div className="card-header">
        <h2 id="chat-heading">Chat</h2>
        <div className="chat-meta">
          {provider !== null && (
            <span
              className={`badge ${provider === 'offline' ? 'badge-offline' : 'badge-provider'}`}
              data-testid="chat-provider"
              title={provider === 'offline' ? 'The built-in offline provider: deterministic answers, no LLM configured' : 'LLM provider'}
            >
              {provider}
            </span>
          )}
          {conversationId !== null && (
            <span className="muted conversation" data-testid="chat-conversation" title="Conversation id">
              {conversationId}
            </span>
          )}
          <button type="button" className="secondary" onClick={newConversation} disabled={messages.length === 0} data-testid="chat-new">
            New conversation
          </button>
        </div>
      </div>

      <ol ref={logRef} className="messages" role="log" aria-live="polite" aria-busy={streaming} aria-label="Conversation" data-testid="chat-messages">
        {messages.length === 0 && (
          <li className="muted empty" data-testid="chat-empty">
            Ask anything. Without a configured LLM, the offline provider answers (and says so).
          </li>
        )}
        {messages.map((m) => (
          <li key={m.id} className={`message message-${m.role} message-${m.state}`} data-testid="chat-message" data-role={m.role} data-state={m.state}>
            <span className="visually-hidden">{m.role === 'user' ? 'You' : 'Assistant'}: </span>
            <div className="message-content" data-testid="chat-message-content">
              {m.content}
              {m.state === 'streaming' && <span className="cursor" aria-hidden="true" />}
            </div>
            {m.state === 'stopped' && <p className="message-note">stopped</p>}
            {m.state === 'incomplete' && <p className="message-note">the answer was cut off (connection lost)</p>}
            {m.state === 'error' && (
              <p className="message-note field-error" role="alert" data-testid="chat-error">
                {m.error}
              </p>
            )}
          </li>
        ))}
      </ol>

      <form className="chat-form" onSubmit={send}>
        <label htmlFor="chat-input" className="visually-hidden">
          Message
        </label>
        <textarea
          id="chat-input"
          ref={inputRef}
          rows={2}
          value={input}
          placeholder="Message (Enter to send, Shift+Enter for a new line)"
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={onKeyDown}
          data-testid="chat-input"
        />
        {streaming ? (
          <button type="button" className="secondary" onClick={() => controller.current?.abort()} data-testid="chat-stop">
            Stop
          </button>
        ) : (
          <button type="submit" disabled={input.trim() === ''} data-testid="chat-send">
            Send
          </button>
        )}
      </form>
    </section>
  );
}

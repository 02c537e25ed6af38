import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError, describeError, isAbortError, isNetworkError, type ApiClient } from '../api';
import { navigate, paths } from '../router';
import type { ChatRole, StoredChatMessage } from '../types';
import { ErrorBox, sendsForm } from '../ui';
import { MAX_LLM_INPUT_BYTES, nulProblem, sizeProblem } from '../tasks/taskForm';
import { ConversationList } from './ConversationList';
import { rememberConversation, rememberedConversation } from './currentConversation';
import { streamChat } from './streamChat';

interface ChatPageProps {
  readonly api: ApiClient;
  /** The conversation in the URL (/chat/{id}); null for /chat, a new one (or the remembered one). */
  readonly id: string | null;
}

type MessageState = 'done' | 'streaming' | 'stopped' | 'incomplete' | 'error';

interface ShownMessage {
  readonly id: number;
  readonly role: ChatRole;
  readonly content: string;
  readonly state: MessageState;
  readonly error?: string;
  /** The service cut this reply at a message's size (said only while the page that received it is open). */
  readonly truncated?: boolean;
}

type Loading = { readonly kind: 'idle' } | { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly error: unknown };

/**
 * A conversation with the chat service, kept in the URL (/chat/{id}) so a reload shows it again: the service stores
 * it (GET /api/chat/conversations/{id}). Each send posts only the new user message with the conversationId, so the
 * history is not sent again. Beside it, the list of stored conversations.
 */
export function ChatPage({ api, id }: ChatPageProps) {
  const [messages, setMessages] = useState<readonly ShownMessage[]>([]);
  const [input, setInput] = useState('');
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [provider, setProvider] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const [loading, setLoading] = useState<Loading>({ kind: 'idle' });
  // Messages of a long conversation older than those the service returns (its last 100).
  const [earlier, setEarlier] = useState(0);
  const [listVersion, setListVersion] = useState(0);
  const [retry, setRetry] = useState(0);
  const nextId = useRef(1);
  const controller = useRef<AbortController | null>(null);
  // The conversation the messages on screen belong to, so a URL this page set itself does not load it again.
  const shown = useRef<string | null>(null);
  const logRef = useRef<HTMLOListElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => () => controller.current?.abort(), []);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages]);

  const show = (conversation: string | null, stored: readonly StoredChatMessage[], count = stored.length) => {
    controller.current?.abort();
    setEarlier(Math.max(0, count - stored.length));
    shown.current = conversation;
    setConversationId(conversation);
    setProvider(null);
    setMessages(stored.map((m) => ({ id: nextId.current++, role: m.role, content: m.content, state: 'done' })));
  };

  // Follow the URL: /chat opens the remembered conversation (or a new one), /chat/{id} loads that one.
  useEffect(() => {
    if (id === null) {
      const remembered = rememberedConversation();
      if (remembered !== null) navigate(paths.chat(remembered), { replace: true });
      else if (shown.current !== null) show(null, []);
      setLoading({ kind: 'idle' });
      return;
    }
    if (id === shown.current) return;
    const abort = new AbortController();
    show(null, []);
    setLoading({ kind: 'loading' });
    api.getConversation(id, abort.signal).then(
      (conversation) => {
        const stored = Array.isArray(conversation.messages) ? conversation.messages : [];
        show(id, stored, typeof conversation.messageCount === 'number' ? conversation.messageCount : stored.length);
        rememberConversation(id);
        setLoading({ kind: 'idle' });
      },
      (error: unknown) => {
        if (isAbortError(error)) return;
        if (error instanceof ApiError && error.status === 404 && rememberedConversation() === id) rememberConversation(null);
        setLoading({ kind: 'failed', error });
      },
    );
    return () => abort.abort();
  }, [api, id, retry]);

  const updateMessage = (messageId: number, change: (m: ShownMessage) => ShownMessage) =>
    setMessages((current) => current.map((m) => (m.id === messageId ? change(m) : m)));

  // Said before sending, the text kept in the box: the server refuses it, and the message was lost (helper-136).
  const draft = input.trim();
  const unsendable = sizeProblem(draft, 'The message', MAX_LLM_INPUT_BYTES) ?? nulProblem(draft, 'The message');

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft;
    if (text === '' || unsendable !== undefined || controller.current !== null || loading.kind !== 'idle') return;

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
            if (meta.conversationId !== undefined && meta.conversationId !== shown.current) {
              shown.current = meta.conversationId;
              setConversationId(meta.conversationId);
              rememberConversation(meta.conversationId);
              navigate(paths.chat(meta.conversationId), { replace: true });
            }
            if (meta.provider !== undefined) setProvider(meta.provider);
            if (meta.truncated === true) updateMessage(answerId, (m) => ({ ...m, truncated: true }));
          },
        },
        abort.signal,
      );
      updateMessage(answerId, (m) => ({ ...m, state: result.complete ? 'done' : 'incomplete' }));
    } catch (error) {
      if (isAbortError(error)) {
        updateMessage(answerId, (m) => ({ ...m, state: 'stopped' }));
      } else {
        const reason = isNetworkError(error) ? `No answer from the server: ${(error as Error).message}` : describeError(error);
        updateMessage(answerId, (m) => ({ ...m, state: 'error', error: reason }));
      }
    } finally {
      if (controller.current === abort) controller.current = null;
      setStreaming(false);
      setListVersion((n) => n + 1);
      inputRef.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (sendsForm(event, true)) {
      event.preventDefault();
      void send();
    }
  };

  const newConversation = () => {
    rememberConversation(null);
    show(null, []);
    setLoading({ kind: 'idle' });
    navigate(paths.chat());
    inputRef.current?.focus();
  };

  const failed = loading.kind === 'failed' ? loading.error : undefined;
  const notFound = failed instanceof ApiError && failed.status === 404;

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
          <button
            type="button"
            className="secondary"
            onClick={newConversation}
            disabled={id === null && messages.length === 0}
            data-testid="chat-new"
          >
            New conversation
          </button>
        </div>
      </div>

      <div className="chat-layout">
        <ConversationList api={api} currentId={conversationId ?? id} version={listVersion} />

        <div className="chat-main">
          {notFound && (
            <div className="alert alert-error" role="alert" data-testid="chat-not-found">
              <strong>Conversation not found</strong>
              <p>
                There is no conversation <code>{id}</code> (any more).
              </p>
              <button type="button" className="secondary" onClick={newConversation}>
                Start a new conversation
              </button>
            </div>
          )}
          {failed !== undefined && !notFound && (
            <ErrorBox error={failed} testId="chat-load-error">
              <button type="button" className="secondary" onClick={() => setRetry((n) => n + 1)}>
                Try again
              </button>
            </ErrorBox>
          )}

          <ol
            ref={logRef}
            className="messages"
            role="log"
            aria-live="polite"
            aria-busy={streaming || loading.kind === 'loading'}
            aria-label="Conversation"
            data-testid="chat-messages"
          >
            {loading.kind === 'loading' && (
              <li className="muted empty" data-testid="chat-loading">
                Loading the conversation…
              </li>
            )}
            {loading.kind === 'idle' && messages.length === 0 && (
              <li className="muted empty" data-testid="chat-empty">
                Ask anything. Without a configured LLM, the offline provider answers (and says so).
              </li>
            )}
            {earlier > 0 && (
              <li className="muted empty" data-testid="chat-earlier">
                {earlier} earlier {earlier === 1 ? 'message' : 'messages'} of this conversation not shown.
              </li>
            )}
            {messages.map((m) => (
              <li
                key={m.id}
                className={`message message-${m.role} message-${m.state}`}
                data-testid="chat-message"
                data-role={m.role}
                data-state={m.state}
              >
                <span className="visually-hidden">{m.role === 'user' ? 'You' : m.role === 'assistant' ? 'Assistant' : 'System'}: </span>
                <div className="message-content" data-testid="chat-message-content">
                  {m.content}
                  {m.state === 'streaming' && <span className="cursor" aria-hidden="true" />}
                </div>
                {m.state === 'stopped' && <p className="message-note">stopped</p>}
                {m.state === 'incomplete' && <p className="message-note">the answer was cut off (connection lost)</p>}
                {m.truncated === true && (
                  <p className="message-note" data-testid="chat-truncated">
                    the reply was cut at {MAX_LLM_INPUT_BYTES / 1024} KiB, the longest message a conversation keeps
                  </p>
                )}
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
              disabled={failed !== undefined}
              aria-invalid={unsendable !== undefined}
              aria-describedby={unsendable !== undefined ? 'chat-input-error' : undefined}
              data-testid="chat-input"
            />
            {streaming ? (
              <button type="button" className="secondary" onClick={() => controller.current?.abort()} data-testid="chat-stop">
                Stop
              </button>
            ) : (
              <button type="submit" disabled={draft === '' || unsendable !== undefined || loading.kind !== 'idle'} data-testid="chat-send">
                Send
              </button>
            )}
            {unsendable !== undefined && (
              // Only the fixed words are a live region: the byte count changes with every key (helper-137).
              <p id="chat-input-error" className="field-error chat-input-error">
                <span role="alert">Cannot be sent. </span>
                <span data-testid="chat-input-error">{unsendable}</span>
              </p>
            )}
          </form>
        </div>
      </div>
    </section>
  );
}

import { useEffect, useState } from 'react';
import { isAbortError, type ApiClient } from '../api';
import { Link, paths } from '../router';
import type { ConversationSummary } from '../types';
import { ErrorBox, formatDate } from '../ui';

export const CONVERSATIONS_PAGE_SIZE = 20;

interface ConversationListProps {
  readonly api: ApiClient;
  /** The conversation on screen, marked in the list. */
  readonly currentId: string | null;
  /** Changes whenever the list may have changed (an answer arrived): the first page is read again. */
  readonly version: number;
}

/** The stored conversations, the most recently active first; "More" appends the next page. */
export function ConversationList({ api, currentId, version }: ConversationListProps) {
  const [items, setItems] = useState<readonly ConversationSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [exact, setExact] = useState(true);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);

  const load = (pageNumber: number, signal?: AbortSignal) => {
    setLoading(true);
    api.listConversations({ page: pageNumber, pageSize: CONVERSATIONS_PAGE_SIZE }, signal).then(
      (result) => {
        const more = Array.isArray(result.items) ? result.items : [];
        // A conversation that moved up between two pages must not appear twice.
        setItems((current) => (pageNumber === 1 ? more : [...current, ...more.filter((c) => !current.some((x) => x.id === c.id))]));
        setTotal(result.total);
        setExact(result.totalExact !== false);
        setPage(pageNumber);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (isAbortError(e)) return;
        setError(e);
        setLoading(false);
      },
    );
  };

  useEffect(() => {
    const controller = new AbortController();
    load(1, controller.signal);
    return () => controller.abort();
    // load is re-created every render; the list reloads when the api or version changes.
  }, [api, version]);

  return (
    <nav className="conversations" aria-labelledby="conversations-heading" data-testid="chat-conversations">
      <h3 id="conversations-heading">Conversations</h3>
      {error !== undefined && <ErrorBox error={error} testId="chat-conversations-error" />}
      {!loading && error === undefined && items.length === 0 && <p className="muted">None yet.</p>}
      <ol>
        {items.map((c) => (
          <li key={c.id}>
            <Link
              to={paths.chat(c.id)}
              aria-current={c.id === currentId ? 'page' : undefined}
              className={c.id === currentId ? 'active' : undefined}
              title={c.title || c.id}
              data-testid="chat-conversation-item"
              data-conversation-id={c.id}
            >
              <span className="conversation-title">{c.title || '(no message)'}</span>
              <span className="muted conversation-meta">
                {formatDate(c.updatedAt)} · {c.messageCount} message{c.messageCount === 1 ? '' : 's'}
              </span>
            </Link>
          </li>
        ))}
      </ol>
      {/* Past 10,000 the server stops listing: no page beyond, even if duplicates left fewer on screen. */}
      {items.length < total && (exact || page * CONVERSATIONS_PAGE_SIZE < total) && (
        <button type="button" className="secondary" onClick={() => load(page + 1)} disabled={loading} data-testid="chat-conversations-more">
          More
        </button>
      )}
    </nav>
  );
}

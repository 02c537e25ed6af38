// A tiny History-API router: no dependency, real paths (server.mjs and the vite dev server answer index.html for any
// path without a file extension, so deep links and reloads work). navigate() pushes a state and notifies the
// subscribers; useLocation() re-renders on navigate() and on the browser's back/forward (popstate).

import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const NAVIGATE_EVENT = 'agentsystem:navigate';

export interface AppLocation {
  readonly pathname: string;
  /** The query string without "?", e.g. "status=running&page=2". */
  readonly search: string;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

// useSyncExternalStore wants a stable snapshot: the href (a string) is one, and parsed only when it changed.
const snapshot = () => window.location.pathname + window.location.search;

export function useLocation(): AppLocation {
  const href = useSyncExternalStore(subscribe, snapshot, () => '/');
  const query = href.indexOf('?');
  return query === -1 ? { pathname: href, search: '' } : { pathname: href.slice(0, query), search: href.slice(query + 1) };
}

export function navigate(to: string, options: { readonly replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export type Route =
  | { readonly name: 'tasks' }
  | { readonly name: 'new-task' }
  | { readonly name: 'task'; readonly id: string }
  | { readonly name: 'chat'; readonly id: string | null }
  | { readonly name: 'not-found' };

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/tasks') return { name: 'tasks' };
  // /tasks/new is where a user guesses the form is (helper-136); task ids are UUIDs, never 'new'.
  if (path === '/new' || path === '/tasks/new') return { name: 'new-task' };
  if (path === '/chat') return { name: 'chat', id: null };
  const match = /^\/(tasks|chat)\/([^/]+)$/.exec(path);
  if (match) {
    let id: string;
    try {
      id = decodeURIComponent(match[2]!);
    } catch {
      return { name: 'not-found' };
    }
    return match[1] === 'tasks' ? { name: 'task', id } : { name: 'chat', id };
  }
  return { name: 'not-found' };
}

export const paths = {
  tasks: (query?: string) => (query ? `/?${query}` : '/'),
  newTask: () => '/new',
  task: (id: string) => `/tasks/${encodeURIComponent(id)}`,
  chat: (id?: string | null) => (id ? `/chat/${encodeURIComponent(id)}` : '/chat'),
};

interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  readonly to: string;
}

/** An <a> that navigates in-page on a plain left click, and behaves as a normal link otherwise (new tab, copy). */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

import { useEffect, useMemo, useRef } from 'react';
import { createApiClient, type ApiClient } from './api';
import { ChatPage } from './chat/ChatPage';
import { GatewayStatus } from './GatewayStatus';
import { Link, matchRoute, navigate, paths, useLocation, type Route } from './router';
import { TaskDetail } from './tasks/TaskDetail';
import { TaskForm } from './tasks/TaskForm';
import { TaskList } from './tasks/TaskList';

interface AppProps {
  /** The gateway client; the page's own /api when not given (tests may pass their own). */
  readonly api?: ApiClient;
}

const TITLES: Record<Route['name'], string> = {
  tasks: 'Tasks',
  'new-task': 'New task',
  task: 'Task',
  chat: 'Chat',
  'not-found': 'Not found',
};

export function App({ api }: AppProps) {
  const client = useMemo(() => api ?? createApiClient(), [api]);
  const location = useLocation();
  const route = matchRoute(location.pathname);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // On navigation: a page title, and focus on the main region so screen readers start at the new page.
  useEffect(() => {
    document.title = `${TITLES[route.name]} · AgentSystem`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [route.name, location.pathname]);

  const navLink = (to: string, label: string, active: boolean, testId: string) => (
    <Link to={to} aria-current={active ? 'page' : undefined} className={active ? 'active' : undefined} data-testid={testId}>
      {label}
    </Link>
  );

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <h1>
          <Link to={paths.tasks()}>AgentSystem</Link>
        </h1>
        <nav aria-label="Main">
          {navLink(paths.tasks(), 'Tasks', route.name === 'tasks' || route.name === 'task', 'nav-tasks')}
          {navLink(paths.newTask(), 'New task', route.name === 'new-task', 'nav-new-task')}
          {navLink(paths.chat(), 'Chat', route.name === 'chat', 'nav-chat')}
        </nav>
        <GatewayStatus api={client} focusAfterBanner={mainRef} />
      </header>
      <main id="main" className="content" ref={mainRef} tabIndex={-1}>
        {route.name === 'tasks' && <TaskList api={client} search={location.search} />}
        {route.name === 'new-task' && <TaskForm api={client} onCreated={(task) => navigate(paths.task(task.id))} />}
        {route.name === 'task' && <TaskDetail key={route.id} api={client} id={route.id} />}
        {route.name === 'chat' && <ChatPage api={client} id={route.id} />}
        {route.name === 'not-found' && (
          <section className="card" aria-labelledby="nf-heading">
            <h2 id="nf-heading">Page not found</h2>
            <p>
              Nothing lives at <code>{location.pathname}</code>. <Link to={paths.tasks()}>Go to the tasks</Link>.
            </p>
          </section>
        )}
      </main>
    </div>
  );
}

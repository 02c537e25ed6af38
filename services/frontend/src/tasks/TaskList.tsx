import { useEffect, useState } from 'react';
import { ApiError, isAbortError, type ApiClient } from '../api';
import { Link, navigate, paths } from '../router';
import { TASK_STATUSES, isFinalTaskStatus, normalizeStatus, type TaskPage, type TaskSummary } from '../types';
import { CopyButton, ErrorBox, OutcomeBar, StatusBadge, formatDate, idTail } from '../ui';
import { backoffDelay } from './watchTask';

export const PAGE_SIZE = 20;
/** The list refreshes this often while the page is visible. */
export const LIST_POLL_MS = 2_000;
const MAX_ERROR_BACKOFF_MS = 15_000;

interface TaskListProps {
  readonly api: ApiClient;
  /** The query string of the page: `status` and `page`. */
  readonly search: string;
}

interface ListQuery {
  readonly status: string;
  readonly page: number;
  /** A `status` the list does not know (a typo in a hand-written link): all tasks are shown, and the page says so. */
  readonly unknownStatus?: string;
}

function readQuery(search: string): ListQuery {
  const params = new URLSearchParams(search);
  const status = normalizeStatus(params.get('status'));
  const page = Number(params.get('page'));
  const known = (TASK_STATUSES as readonly string[]).includes(status);
  return {
    status: known ? status : '',
    page: Number.isInteger(page) && page > 0 ? page : 1,
    ...(status && !known ? { unknownStatus: params.get('status') ?? status } : {}),
  };
}

/** Edits (insert, delete, replace) between two short words. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, replace);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The status a mistyped one most likely meant: two edits at most, or the one it begins (`succ`). */
export function suggestStatus(given: string): string | undefined {
  const typed = normalizeStatus(given);
  const byPrefix = TASK_STATUSES.find((s) => typed.length >= 3 && s.startsWith(typed));
  if (byPrefix) return byPrefix;
  const nearest = TASK_STATUSES.map((s) => ({ s, d: editDistance(typed, s) })).reduce((x, y) => (y.d < x.d ? y : x));
  return nearest.d <= 2 ? nearest.s : undefined;
}

function writeQuery(status: string, page: number): string {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  if (page > 1) params.set('page', String(page));
  return params.toString();
}

function items(page: TaskPage | undefined): readonly TaskSummary[] {
  return Array.isArray(page?.items) ? page.items : [];
}

/**
 * Live refresh by polling GET /api/tasks every 2 s while the page is visible, rather than one SSE stream per running
 * task: one request covers the whole page (including tasks that start or appear meanwhile, and the jobCount /
 * completedJobs the list needs), and N open streams would use up the browser's six HTTP/1.1 connections per origin,
 * starving the page's other requests. Polling stops while the tab is hidden and resumes at once when it is shown;
 * after failures it backs off up to 15 s. The next poll is scheduled only when the previous one has answered.
 */
function useLiveTaskPage(api: ApiClient, status: string, page: number) {
  const [data, setData] = useState<TaskPage | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    setLoading(true);

    const tick = async () => {
      timer = undefined;
      if (stopped || inFlight || document.visibilityState === 'hidden') return; // resumed by visibilitychange
      inFlight = true;
      controller = new AbortController();
      try {
        const result = await api.listTasks({ ...(status ? { status } : {}), page, pageSize: PAGE_SIZE }, controller.signal);
        if (stopped) return;
        failures = 0;
        setData(result);
        setError(undefined);
      } catch (e) {
        if (stopped || isAbortError(e)) return;
        failures++;
        setError(e);
      } finally {
        inFlight = false;
        if (!stopped) {
          setLoading(false);
          const delay = failures === 0 ? LIST_POLL_MS : backoffDelay(failures, LIST_POLL_MS, MAX_ERROR_BACKOFF_MS);
          timer = setTimeout(tick, delay);
        }
      }
    };

    const onVisibility = () => {
      if (document.visibilityState !== 'visible' || inFlight) return;
      if (timer !== undefined) clearTimeout(timer);
      void tick();
    };

    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [api, status, page]);

  return { data, error, loading };
}

/** "1 task", "2 tasks": the list's count as a screen reader says it. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** What the task is, in words: its goal, or how many explicit jobs it has. */
function taskTitle(task: TaskSummary): string {
  return task.goal ? task.goal : countOf(task.jobCount, 'explicit job');
}

/**
 * The finished jobs as one segment coloured by the task's outcome: the list has counts, not each job's status, and a
 * failed or cancelled task must not look like a success. Jobs finished in a task still running are plain "done".
 */
function listSegment(task: TaskSummary) {
  const status = normalizeStatus(task.status);
  return [{ status: isFinalTaskStatus(status) ? status : 'done', count: task.completedJobs }];
}

/** The server's 422 for a page past the newest tasks its pages reach (not any other failure of a poll). */
function refusesPage(error: unknown): boolean {
  return error instanceof ApiError && error.status === 422 && 'page' in error.fieldErrors;
}

export function TaskList({ api, search }: TaskListProps) {
  const { status, page, unknownStatus } = readQuery(search);
  const suggested = unknownStatus === undefined ? undefined : suggestStatus(unknownStatus);
  const { data, error, loading } = useLiveTaskPage(api, status, page);
  const list = items(data);
  const total = typeof data?.total === 'number' ? data.total : list.length;
  // The server stops counting at 10,000, the newest tasks its pages reach.
  const exact = data?.totalExact !== false;
  const counted = exact ? countOf(total, 'task') : `more than ${total.toLocaleString('en')} tasks`;
  const pageCount = Math.max(1, Math.ceil(total / (data?.pageSize || PAGE_SIZE)));
  const running = list.filter((t) => normalizeStatus(t.status) === 'running').length;

  const go = (nextStatus: string, nextPage: number) => navigate(paths.tasks(writeQuery(nextStatus, nextPage)));

  return (
    <section className="card" aria-labelledby="tasks-heading">
      <div className="card-header">
        <h2 id="tasks-heading">Tasks</h2>
        <Link to={paths.newTask()} className="button" data-testid="new-task-link">
          New task
        </Link>
      </div>

      <div className="toolbar">
        <label htmlFor="status-filter">Status</label>
        <select id="status-filter" value={status} onChange={(e) => go(e.target.value, 1)} data-testid="status-filter">
          <option value="">all</option>
          {TASK_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <span className="muted live-note" aria-hidden="true">
          refreshes every {LIST_POLL_MS / 1000} s
        </span>
      </div>

      {unknownStatus !== undefined && (
        <p className="notice" role="status" data-testid="tasks-unknown-status">
          There is no status “{unknownStatus}”; showing all tasks.{' '}
          {suggested ? (
            <>
              Did you mean{' '}
              <Link to={paths.tasks(writeQuery(suggested, 1))} data-testid="tasks-suggested-status">
                {suggested}
              </Link>
              ?
            </>
          ) : (
            `The statuses are ${TASK_STATUSES.join(', ')}.`
          )}
        </p>
      )}

      {error !== undefined && !refusesPage(error) && <ErrorBox error={error} testId="tasks-error" />}
      {page > 1 && (refusesPage(error) || (error === undefined && data !== undefined && list.length === 0)) && (
        // A page past the end (an old link, a hand-typed ?page=): say so and offer the way back, not "No tasks yet".
        <p className="empty" data-testid="tasks-past-end">
          There is no page {page}
          {data !== undefined ? ` (${counted}${status ? ` with status ${status}` : ''}: ${countOf(pageCount, 'page')})` : ''}.{' '}
          <Link to={paths.tasks(writeQuery(status, 1))} data-testid="tasks-first-page">
            Go to page 1
          </Link>
          .
        </p>
      )}

      <p className="visually-hidden" aria-live="polite">
        {data === undefined ? '' : `${counted}${status ? ` with status ${status}` : ''}, ${running} running on this page`}
      </p>

      {loading && data === undefined && error === undefined && <p className="muted">Loading tasks…</p>}

      {data !== undefined && list.length === 0 && page === 1 && (
        <p className="empty" data-testid="tasks-empty">
          {status ? `No ${status} tasks.` : 'No tasks yet.'} <Link to={paths.newTask()}>Submit one</Link>.
        </p>
      )}

      {list.length > 0 && (
        <table className="tasks" data-testid="task-table">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Jobs done</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.map((task) => (
              <tr key={task.id} data-testid="task-row" data-task-id={task.id}>
                <td data-label="Task" className="wide">
                  <Link to={paths.task(task.id)} data-testid="task-link" className="task-title">
                    {taskTitle(task)}{' '}
                    {/* In the link's name: a screen reader's list of links read "1 explicit job" alike for every such task. */}
                    <span className="visually-hidden">(task ending {task.id.slice(-8)})</span>
                  </Link>
                  <span className="task-id-line">
                    <code title={task.id} data-testid="task-id">
                      {idTail(task.id)}
                    </code>
                    <CopyButton text={task.id} label={`Copy the id of task ${task.id}`} testId="task-copy-id" />
                  </span>
                </td>
                <td data-label="Status">
                  <StatusBadge status={task.status} testId="task-status" />
                </td>
                <td data-label="Jobs done">
                  <OutcomeBar segments={listSegment(task)} finished={task.completedJobs} total={task.jobCount} testId="task-progress" />
                </td>
                <td data-label="Created">{formatDate(task.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {data !== undefined && pageCount > 1 && (
        <nav className="pager" aria-label="Task pages">
          <button type="button" className="secondary" disabled={page <= 1} onClick={() => go(status, page - 1)} data-testid="page-prev">
            Previous
          </button>
          <span data-testid="page-info">
            Page {page} of {pageCount}
            {exact ? '' : ` (the newest ${total.toLocaleString('en')} tasks)`}
          </span>
          <button
            type="button"
            className="secondary"
            disabled={page >= pageCount}
            onClick={() => go(status, page + 1)}
            data-testid="page-next"
          >
            Next
          </button>
        </nav>
      )}
    </section>
  );
}

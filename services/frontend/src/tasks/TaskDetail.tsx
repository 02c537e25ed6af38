import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbortError, type ApiClient } from '../api';
import { Link, paths } from '../router';
import { isFinalJobStatus, isFinalTaskStatus, normalizeStatus, type Job, type Task } from '../types';
import { ErrorBox, OutcomeBar, StatusBadge, formatDate, segmentsOf } from '../ui';
import { WATCH_DEFAULTS, watchTask, type WatchOptions, type WatchState } from './watchTask';

interface TaskDetailProps {
  readonly api: ApiClient;
  readonly id: string;
  /** Overrides of the watcher's timings (tests). */
  readonly watchOptions?: Partial<Pick<WatchOptions, 'maxStreamFailures' | 'initialBackoffMs' | 'maxBackoffMs' | 'pollIntervalMs' | 'random'>>;
}

/** Keeps the newer of two versions of a task: answers of GET, DELETE and the stream may arrive out of order. */
function newer(current: Task | undefined, next: Task): Task {
  if (current === undefined || current.id !== next.id) return next;
  const a = Date.parse(current.updatedAt);
  const b = Date.parse(next.updatedAt);
  if (Number.isNaN(a) || Number.isNaN(b)) return next;
  return b >= a ? next : current;
}

const LIVE_TEXT: Record<WatchState | 'loading', string> = {
  loading: 'loading…',
  streaming: 'live',
  reconnecting: 'reconnecting…',
  polling: `polling every ${WATCH_DEFAULTS.pollIntervalMs / 1000} s`,
  done: 'final',
};

/** GET /api/tasks/{id}, then the events stream (with reconnect and polling fallback) until the task is final. */
function useLiveTask(api: ApiClient, id: string, watchOptions: TaskDetailProps['watchOptions']) {
  const [task, setTask] = useState<Task | undefined>(undefined);
  const [fatal, setFatal] = useState<unknown>(undefined);
  const [transient, setTransient] = useState<unknown>(undefined);
  const [live, setLive] = useState<WatchState | 'loading'>('loading');
  const [attempt, setAttempt] = useState(0);

  const apply = useCallback((next: Task) => {
    setTask((current) => newer(current, next));
    setTransient(undefined);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    const signal = controller.signal;
    setFatal(undefined);
    setTransient(undefined);
    setLive('loading');

    const run = async () => {
      try {
        const first = await api.getTask(id, signal);
        if (signal.aborted) return;
        apply(first);
        if (isFinalTaskStatus(first.status)) {
          setLive('done');
          return;
        }
      } catch (error) {
        if (signal.aborted || isAbortError(error)) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429) {
          setFatal(error);
          return;
        }
        // Network or 5xx: show it, and let the watcher keep trying (its stream sends the task at once when it works).
        setTransient(error);
      }
      await watchTask({
        ...watchOptions,
        api,
        id,
        signal,
        onTask: apply,
        onState: setLive,
        onError: (error, isFatal) => (isFatal ? setFatal(error) : setTransient(error)),
      });
    };
    void run();
    return () => controller.abort();
    // watchOptions (timings for tests) is deliberately not a dependency: it is read once per task.
  }, [api, id, attempt, apply]);

  return { task, fatal, transient, live, apply, retry: () => setAttempt((n) => n + 1) };
}

export function TaskDetail({ api, id, watchOptions }: TaskDetailProps) {
  const { task, fatal, transient, live, apply, retry } = useLiveTask(api, id, watchOptions);
  const [cancelling, setCancelling] = useState(false);
  // A cancel cannot be undone: the button asks once more (helper-136: one click cancelled at once).
  const [confirming, setConfirming] = useState(false);
  // Where the focus goes once the confirmation is gone: back to the button that opened it, or, once the task is
  // cancelled and the button gone, to the heading (its status is beside it), not to the page.
  const cancelButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (!refocus.current || confirming || cancelling) return;
    refocus.current = false;
    (cancelButton.current ?? heading.current)?.focus();
  });
  const keep = () => {
    refocus.current = true;
    setConfirming(false);
  };
  const [cancelError, setCancelError] = useState<unknown>(undefined);

  const cancel = async () => {
    refocus.current = true;
    setConfirming(false);
    setCancelling(true);
    setCancelError(undefined);
    try {
      const result = await api.cancelTask(id);
      if (result && typeof result === 'object' && 'status' in result) apply(result);
    } catch (error) {
      setCancelError(error);
    } finally {
      setCancelling(false);
    }
  };

  if (fatal instanceof ApiError && fatal.status === 404) {
    return (
      <section className="card" aria-labelledby="task-heading">
        <h2 id="task-heading">Task not found</h2>
        <p data-testid="task-not-found">
          There is no task <code>{id}</code>. <Link to={paths.tasks()}>Back to the tasks</Link>.
        </p>
      </section>
    );
  }

  const jobs = Array.isArray(task?.jobs) ? task.jobs : [];
  const done = jobs.filter((j) => isFinalJobStatus(j.status)).length;
  const segments = segmentsOf(jobs.map((j) => j.status));
  const final = task !== undefined && isFinalTaskStatus(task.status);

  return (
    <section className="card" aria-labelledby="task-heading" data-testid="task-detail" data-task-id={id}>
      <div className="card-header">
        <h2 id="task-heading" ref={heading} tabIndex={-1}>
          Task <code className="task-id">{id}</code>
        </h2>
        <Link to={paths.tasks()} className="muted">
          All tasks
        </Link>
      </div>

      {fatal !== undefined && (
        <ErrorBox error={fatal} testId="task-error">
          <button type="button" className="secondary" onClick={retry}>
            Try again
          </button>
        </ErrorBox>
      )}
      {fatal === undefined && transient !== undefined && <ErrorBox error={transient} testId="task-error" />}

      {task === undefined && fatal === undefined && transient === undefined && <p className="muted">Loading task…</p>}

      {task !== undefined && (
        <>
          <div className="task-summary">
            <p role="status" aria-live="polite" className="task-status-line">
              <span className="visually-hidden">Task status: </span>
              <StatusBadge status={task.status} testId="task-status" />
              <OutcomeBar
                segments={segments}
                finished={done}
                total={jobs.length}
                summary={segments.map((s) => `${s.count} ${s.status}`).join(' · ')}
                testId="task-progress"
              />
            </p>
            <span className={`live live-${live}`} data-testid="live-state" title="How this page follows the task">
              {LIVE_TEXT[live]}
            </span>
            {!final && !confirming && (
              <button
                type="button"
                className="danger"
                ref={cancelButton}
                onClick={() => setConfirming(true)}
                disabled={cancelling}
                aria-busy={cancelling}
                data-testid="task-cancel"
              >
                {cancelling ? 'Cancelling…' : 'Cancel task'}
              </button>
            )}
            {!final && confirming && (
              <span className="cancel-confirm" role="group" aria-label="Confirm the cancel">
                <span>Cancel every job not finished? This cannot be undone.</span>
                <button type="button" className="danger" onClick={cancel} autoFocus data-testid="task-cancel-confirm">
                  Cancel the jobs
                </button>
                <button type="button" className="secondary" onClick={keep} data-testid="task-cancel-keep">
                  Keep them running
                </button>
              </span>
            )}
          </div>
          {cancelError !== undefined && <ErrorBox error={cancelError} testId="cancel-error" />}

          <dl className="meta">
            {task.goal ? (
              <>
                <dt>Goal</dt>
                <dd data-testid="task-goal">{task.goal}</dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{formatDate(task.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatDate(task.updatedAt)}</dd>
          </dl>

          <h3>Jobs</h3>
          {jobs.length === 0 ? (
            <p className="muted">No jobs yet.</p>
          ) : (
            <ol className="job-list" data-testid="job-table">
              {jobs.map((job, index) => (
                <JobItem key={job.id} job={job} index={index} />
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

/**
 * One job: a heading line (number, type, status, attempts), then its input and result side by side, and its error below
 * them across the whole width, wrapped at word boundaries and never cut: the error is what a user came to read.
 */
function JobItem({ job, index }: { readonly job: Job; readonly index: number }) {
  const hasResult = job.result !== null && job.result !== undefined;
  return (
    <li className="job" data-testid="task-job" data-job-id={job.id} aria-labelledby={`job-${job.id}`}>
      <div className="job-head" id={`job-${job.id}`}>
        <span className="job-number">#{index + 1}</span>
        <code className="job-type">{job.type}</code>
        <span data-testid="job-status" data-status={normalizeStatus(job.status)}>
          <StatusBadge status={job.status} />
        </span>
        <span className="muted">
          attempts <span data-testid="job-attempts">{job.attempts}</span>
        </span>
      </div>
      <div className="job-body">
        <div className="job-field">
          <span className="job-label">Input</span>
          <pre className="cell-text" data-testid="job-input" tabIndex={0}>
            {job.input === '' ? <span className="muted">(empty)</span> : job.input}
          </pre>
        </div>
        <div className="job-field">
          <span className="job-label">Result</span>
          {hasResult ? (
            <pre className="cell-text" data-testid="job-result" tabIndex={0}>
              {job.result}
            </pre>
          ) : (
            <span className="muted" data-testid="job-result">
              —
            </span>
          )}
        </div>
        {job.error ? (
          <div className="job-field job-error-field">
            <span className="job-label">Error</span>
            <pre className="job-error" data-testid="job-error">
              {job.error}
            </pre>
          </div>
        ) : null}
      </div>
    </li>
  );
}

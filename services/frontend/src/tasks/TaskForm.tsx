import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError, describeError, type ApiClient } from '../api';
import { JOB_TYPES, type Task } from '../types';
import { ErrorBox, SEND_KEYS, sendsForm } from '../ui';
import { saveDraft, savedDraft } from './savedDraft';
import {
  MAX_JOBS,
  isFieldKey,
  newIdempotencyKey,
  normalizeErrorKeys,
  toCreateTaskRequest,
  validateTaskDraft,
  type FieldErrors,
  type FormMode,
  type JobDraft,
} from './taskForm';

interface TaskFormProps {
  readonly api: ApiClient;
  /** Called with the task the gateway accepted (the page navigates to it). */
  readonly onCreated: (task: Task) => void;
  /** Makes Idempotency-Keys; crypto-random by default (tests pass a counter). */
  readonly makeKey?: () => string;
}

const PLACEHOLDERS: Record<string, string> = {
  echo: 'text to echo back',
  wordcount: 'text whose words to count',
  hash: 'text to hash with SHA-256',
  sleep: 'milliseconds, e.g. 500',
  llm: 'a prompt for the LLM',
};

export function TaskForm({ api, onCreated, makeKey = newIdempotencyKey }: TaskFormProps) {
  const formId = useId();
  // Read once: what this tab typed before a reload.
  const [restored] = useState(savedDraft);
  const nextRowKey = useRef(restored?.jobs.length ?? 1);
  const [mode, setMode] = useState<FormMode>(restored?.mode ?? 'goal');
  const [goal, setGoal] = useState(restored?.goal ?? '');
  const [jobs, setJobs] = useState<readonly JobDraft[]>(
    restored?.jobs.map((job, key) => ({ key, type: job.type, input: job.input })) ?? [{ key: 0, type: 'echo', input: '' }],
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<unknown>(undefined);
  const [submitting, setSubmitting] = useState(false);
  // One key per submission of one form content: reused when the same content is sent again after a failure (the
  // first request may have reached the server), replaced as soon as the content changes.
  const idempotencyKey = useRef<string | null>(null);
  // A ref, not state: a second click in the same tick must see it before React re-renders the disabled button.
  const inFlight = useRef(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const created = useRef(false);
  useEffect(() => {
    if (!created.current) saveDraft({ mode, goal, jobs: jobs.map(({ type, input }) => ({ type, input })) });
  }, [mode, goal, jobs]);
  const rowsRef = useRef<HTMLOListElement>(null);
  // The row whose type gets the focus once a removal has rendered: the removed button's focus would fall to the page.
  const focusRow = useRef<number | null>(null);
  useEffect(() => {
    if (focusRow.current === null) return;
    rowsRef.current?.querySelectorAll<HTMLSelectElement>('[data-testid="job-type"]')[focusRow.current]?.focus();
    focusRow.current = null;
  }, [jobs]);

  const edited = (...keys: string[]) => {
    idempotencyKey.current = null;
    setFailure(undefined);
    if (keys.length > 0 && keys.some((k) => errors[k] !== undefined)) {
      setErrors((current) => Object.fromEntries(Object.entries(current).filter(([k]) => !keys.includes(k))));
    }
  };

  const updateJob = (index: number, change: Partial<Pick<JobDraft, 'type' | 'input'>>) => {
    setJobs((current) => current.map((job, i) => (i === index ? { ...job, ...change } : job)));
    edited(`jobs[${index}].${change.type !== undefined ? 'type' : 'input'}`, `jobs[${index}]`);
  };

  const addJob = () => {
    setJobs((current) => (current.length >= MAX_JOBS ? current : [...current, { key: nextRowKey.current++, type: 'echo', input: '' }]));
    edited('jobs');
  };

  const removeJob = (index: number) => {
    focusRow.current = Math.min(index, jobs.length - 2);
    setJobs((current) => current.filter((_, i) => i !== index));
    idempotencyKey.current = null;
    setFailure(undefined);
    // Row indices shift: per-row messages would point at the wrong rows now.
    setErrors((current) => Object.fromEntries(Object.entries(current).filter(([k]) => !k.startsWith('jobs'))));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (inFlight.current) return;
    const draft = { mode, goal, jobs };
    const found = validateTaskDraft(draft);
    setErrors(found);
    setFailure(undefined);
    if (Object.keys(found).length > 0) {
      summaryRef.current?.focus();
      return;
    }

    idempotencyKey.current ??= makeKey();
    inFlight.current = true;
    setSubmitting(true);
    try {
      const task = await api.createTask(toCreateTaskRequest(draft), { idempotencyKey: idempotencyKey.current });
      idempotencyKey.current = null;
      created.current = true;
      saveDraft(null);
      onCreated(task);
    } catch (error) {
      // 400/422: nothing was stored; the messages go next to their fields. Anything else (network, 5xx): the key is
      // kept, so pressing Submit again cannot create a second task if the first request did get through.
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
        setErrors(normalizeErrorKeys(error.fieldErrors));
      }
      setFailure(error);
      queueMicrotask(() => summaryRef.current?.focus());
    } finally {
      inFlight.current = false;
      setSubmitting(false);
    }
  };

  // Enter in a text box is a new line; Ctrl+Enter (Cmd+Enter) submits from any of them, as it sends in the chat.
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (!(event.target instanceof HTMLTextAreaElement) || !sendsForm(event)) return;
    event.preventDefault();
    event.currentTarget.requestSubmit();
  };

  const fieldError = (key: string) => errors[key];
  const errorId = (key: string) => `${formId}-err-${key.replace(/[^a-zA-Z0-9]/g, '-')}`;
  const describedBy = (...keys: string[]) => {
    const ids = keys.filter((k) => errors[k] !== undefined).map(errorId);
    return ids.length > 0 ? ids.join(' ') : undefined;
  };
  const fieldMessage = (name: string) => {
    const messages = fieldError(name);
    if (messages === undefined) return null;
    return (
      <p className="field-error" id={errorId(name)} data-testid="field-error" data-field={name}>
        {messages.join(' ')}
      </p>
    );
  };

  const otherErrors = Object.entries(errors).filter(([key]) => !isFieldKey(key, mode, jobs.length));
  const errorCount = Object.keys(errors).length;
  const problemTitle = failure instanceof ApiError ? describeError(failure) : undefined;

  return (
    <form
      className="card task-form"
      onSubmit={submit}
      onKeyDown={onKeyDown}
      noValidate
      aria-labelledby={`${formId}-title`}
      data-testid="task-form"
    >
      <h2 id={`${formId}-title`}>New task</h2>

      <div ref={summaryRef} tabIndex={-1} className="form-summary" data-testid="form-errors">
        {failure !== undefined && !(failure instanceof ApiError) && <ErrorBox error={failure} />}
        {(errorCount > 0 || problemTitle !== undefined) && (
          <div className="alert alert-error" role="alert">
            <strong>{problemTitle ?? 'Please correct the highlighted fields.'}</strong>
            {otherErrors.length > 0 && (
              <ul>
                {otherErrors.map(([key, messages]) => (
                  <li key={key} data-testid="form-error" data-field={key}>
                    {key ? <code>{key}</code> : null} {messages.join(' ')}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>

      <fieldset className="mode">
        <legend>What should run?</legend>
        <label>
          <input
            type="radio"
            name={`${formId}-mode`}
            value="goal"
            checked={mode === 'goal'}
            onChange={() => {
              setMode('goal');
              // The other mode's messages name fields no longer shown.
              setErrors({});
              edited();
            }}
            data-testid="mode-goal"
          />
          A goal (the planner breaks it into jobs)
        </label>
        <label>
          <input
            type="radio"
            name={`${formId}-mode`}
            value="jobs"
            checked={mode === 'jobs'}
            onChange={() => {
              setMode('jobs');
              setErrors({});
              edited();
            }}
            data-testid="mode-jobs"
          />
          Explicit jobs
        </label>
      </fieldset>

      {mode === 'goal' ? (
        <div className="field">
          <label htmlFor={`${formId}-goal`}>Goal</label>
          <textarea
            id={`${formId}-goal`}
            rows={3}
            value={goal}
            placeholder="Summarise: the quick brown fox jumps over the lazy dog"
            onChange={(e) => {
              setGoal(e.target.value);
              edited('goal');
            }}
            aria-invalid={fieldError('goal') !== undefined}
            aria-describedby={[`${formId}-goal-hint`, describedBy('goal')].filter(Boolean).join(' ')}
            aria-keyshortcuts={SEND_KEYS}
            data-testid="goal-input"
          />
          {/* The placeholder that showed the form goes once a user types (helper-136: "count words in hello world" counted all five). */}
          <p id={`${formId}-goal-hint`} className="muted field-hint" data-testid="goal-hint">
            An instruction, a colon, then the text: <code>Count the words: hello world</code>. The default planner knows
            count, hash and echo, and summarise, explain, translate or write for the language model; with none of them, the
            text is counted, hashed and echoed.
          </p>
          {fieldMessage('goal')}
        </div>
      ) : (
        <fieldset className="jobs" aria-describedby={describedBy('jobs')}>
          <legend>
            Jobs <span className="muted">({jobs.length} of at most {MAX_JOBS})</span>
          </legend>
          {fieldMessage('jobs')}
          <ol className="job-rows" ref={rowsRef}>
            {jobs.map((job, index) => {
              const typeKey = `jobs[${index}].type`;
              const inputKey = `jobs[${index}].input`;
              return (
                <li key={job.key} className="job-row" data-testid="job-row" data-index={index}>
                  <div className="field job-type">
                    <label htmlFor={`${formId}-type-${job.key}`}>Job {index + 1} type</label>
                    <select
                      id={`${formId}-type-${job.key}`}
                      value={job.type}
                      onChange={(e) => updateJob(index, { type: e.target.value })}
                      aria-invalid={fieldError(typeKey) !== undefined}
                      aria-describedby={describedBy(typeKey, `jobs[${index}]`)}
                      data-testid="job-type"
                    >
                      {(JOB_TYPES as readonly string[]).includes(job.type) ? null : <option value={job.type}>{job.type}</option>}
                      {JOB_TYPES.map((type) => (
                        <option key={type} value={type}>
                          {type}
                        </option>
                      ))}
                    </select>
                    {fieldMessage(typeKey)}
                    {fieldMessage(`jobs[${index}]`)}
                  </div>
                  <div className="field job-input">
                    <label htmlFor={`${formId}-input-${job.key}`}>Job {index + 1} input</label>
                    <textarea
                      id={`${formId}-input-${job.key}`}
                      rows={job.type === 'sleep' ? 1 : 2}
                      value={job.input}
                      inputMode={job.type === 'sleep' ? 'numeric' : undefined}
                      placeholder={PLACEHOLDERS[job.type] ?? ''}
                      onChange={(e) => updateJob(index, { input: e.target.value })}
                      aria-invalid={fieldError(inputKey) !== undefined}
                      aria-describedby={describedBy(inputKey)}
                      aria-keyshortcuts={SEND_KEYS}
                      data-testid="job-input"
                    />
                    {fieldMessage(inputKey)}
                  </div>
                  <button
                    type="button"
                    className="secondary remove"
                    onClick={() => removeJob(index)}
                    disabled={jobs.length === 1}
                    aria-label={`Remove job ${index + 1}`}
                    data-testid="job-remove"
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
          <button type="button" className="secondary" onClick={addJob} disabled={jobs.length >= MAX_JOBS} data-testid="job-add">
            Add job
          </button>
        </fieldset>
      )}

      <div className="actions">
        <button type="submit" disabled={submitting} aria-busy={submitting} data-testid="task-submit">
          {submitting ? 'Submitting…' : 'Submit task'}
        </button>
        <p className="muted field-hint" data-testid="submit-hint">
          or <kbd>Ctrl</kbd>+<kbd>Enter</kbd> (<kbd>⌘</kbd>+<kbd>Enter</kbd> on a Mac) in a text box
        </p>
      </div>
    </form>
  );
}

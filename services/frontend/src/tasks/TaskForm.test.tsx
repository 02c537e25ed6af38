// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApiClient, IDEMPOTENCY_KEY_HEADER } from '../api';
import { fakeGateway, json, makeTask } from '../test-utils';
import type { Task } from '../types';
import { TaskForm } from './TaskForm';

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

function setup(gateway = fakeGateway()) {
  const api = createApiClient({ fetch: gateway.fetch });
  const onCreated = vi.fn<(task: Task) => void>();
  let n = 0;
  const makeKey = vi.fn(() => `key-${++n}`);
  render(<TaskForm api={api} onCreated={onCreated} makeKey={makeKey} />);
  return { gateway, onCreated, makeKey };
}

const submit = () => fireEvent.click(screen.getByTestId('task-submit'));
const rows = () => screen.getAllByTestId('job-row');

function switchToJobs() {
  fireEvent.click(screen.getByTestId('mode-jobs'));
}

function fillRow(index: number, type: string, input: string) {
  const row = rows()[index]!;
  fireEvent.change(within(row).getByTestId('job-type'), { target: { value: type } });
  fireEvent.change(within(row).getByTestId('job-input'), { target: { value: input } });
}

describe('TaskForm validation', () => {
  it('labels its fields', () => {
    setup();
    expect(screen.getByLabelText('Goal')).toBe(screen.getByTestId('goal-input'));
    switchToJobs();
    expect(screen.getByLabelText('Job 1 type')).toBe(within(rows()[0]!).getByTestId('job-type'));
    expect(screen.getByLabelText('Job 1 input')).toBe(within(rows()[0]!).getByTestId('job-input'));
  });

  it('refuses an empty goal without calling the gateway', () => {
    const { gateway } = setup();
    submit();

    const goal = screen.getByTestId('goal-input');
    expect(goal.getAttribute('aria-invalid')).toBe('true');
    const message = screen.getByTestId('field-error');
    expect(message.textContent).toMatch(/Describe the goal/);
    expect(goal.getAttribute('aria-describedby')?.split(' ')).toEqual([screen.getByTestId('goal-hint').id, message.id]);
    expect(screen.getByRole('alert').textContent).toMatch(/correct the highlighted fields/);
    expect(gateway.fetch).not.toHaveBeenCalled();
  });

  it('refuses an explicit job with an empty input without calling the gateway', () => {
    const { gateway } = setup();
    switchToJobs();
    submit();

    const input = within(rows()[0]!).getByTestId('job-input');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const message = screen.getByTestId('field-error');
    expect(message.dataset.field).toBe('jobs[0].input');
    expect(message.textContent).toBe('Give the job an input.');
    expect(input.getAttribute('aria-describedby')).toBe(message.id);
    expect(gateway.fetch).not.toHaveBeenCalled();
  });

  it('adds and removes job rows, keeping at least one', () => {
    setup();
    switchToJobs();
    expect(rows()).toHaveLength(1);
    expect((within(rows()[0]!).getByTestId('job-remove') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByTestId('job-add'));
    fireEvent.click(screen.getByTestId('job-add'));
    fillRow(0, 'echo', 'first');
    fillRow(1, 'hash', 'second');
    fillRow(2, 'wordcount', 'third');
    expect(rows()).toHaveLength(3);

    fireEvent.click(within(rows()[1]!).getByTestId('job-remove'));

    expect(rows()).toHaveLength(2);
    expect(rows().map((r) => (within(r).getByTestId('job-input') as HTMLTextAreaElement).value)).toEqual(['first', 'third']);
    expect(screen.getByLabelText('Remove job 2')).toBeTruthy();
    // The focus moves to the row now in the removed one's place, not to the page (helper-136).
    expect(document.activeElement).toBe(within(rows()[1]!).getByTestId('job-type'));

    fireEvent.click(within(rows()[1]!).getByTestId('job-remove'));
    expect(document.activeElement).toBe(within(rows()[0]!).getByTestId('job-type'));
  });

  it('drops the messages of the other mode when the mode changes', () => {
    setup();
    submit();
    expect(screen.getByTestId('field-error')).toBeTruthy();

    switchToJobs();

    expect(screen.queryByTestId('field-error')).toBeNull();
    expect(screen.queryByText(/correct the highlighted fields/)).toBeNull();
  });

  it('shows client-side errors next to the job they concern', () => {
    const { gateway } = setup();
    switchToJobs();
    fireEvent.click(screen.getByTestId('job-add'));
    fillRow(0, 'echo', 'fine');
    fillRow(1, 'sleep', 'soon');
    submit();

    expect(within(rows()[0]!).queryByTestId('field-error')).toBeNull();
    const error = within(rows()[1]!).getByTestId('field-error');
    expect(error.dataset.field).toBe('jobs[1].input');
    expect(error.textContent).toMatch(/whole number of milliseconds/);
    expect(within(rows()[1]!).getByTestId('job-input').getAttribute('aria-invalid')).toBe('true');
    expect(gateway.fetch).not.toHaveBeenCalled();

    fillRow(1, 'sleep', '250'); // editing the field clears its message
    expect(within(rows()[1]!).queryByTestId('field-error')).toBeNull();
  });
});

describe('TaskForm draft', () => {
  it('keeps what was typed across a reload, and forgets it once the task is created', async () => {
    const gateway = fakeGateway().on('POST /api/tasks', () => json(makeTask({ id: 't9' }), 202));
    setup(gateway);
    switchToJobs();
    fireEvent.click(screen.getByTestId('job-add'));
    fillRow(0, 'hash', 'kept');
    fillRow(1, 'sleep', '250');

    cleanup(); // a reload: the form is made again from nothing but the tab's storage
    const { onCreated } = setup(gateway);

    expect((screen.getByTestId('mode-jobs') as HTMLInputElement).checked).toBe(true);
    expect(rows().map((r) => (within(r).getByTestId('job-input') as HTMLTextAreaElement).value)).toEqual(['kept', '250']);
    expect(rows().map((r) => (within(r).getByTestId('job-type') as HTMLSelectElement).value)).toEqual(['hash', 'sleep']);
    fireEvent.click(screen.getByTestId('job-add')); // the restored rows' keys do not clash with a new one's
    expect(rows()).toHaveLength(3);
    fireEvent.click(within(rows()[2]!).getByTestId('job-remove'));

    submit();
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    cleanup();
    setup(gateway);
    expect((screen.getByTestId('mode-goal') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId('goal-input') as HTMLTextAreaElement).value).toBe('');
  });

  it('ignores a stored draft of another shape', () => {
    sessionStorage.setItem('agentsystem.task-draft', JSON.stringify({ mode: 'jobs', jobs: [] }));
    setup();
    expect((screen.getByTestId('mode-goal') as HTMLInputElement).checked).toBe(true);
  });
});

describe('TaskForm submission', () => {
  it('posts the jobs and hands the created task over', async () => {
    const gateway = fakeGateway().on('POST /api/tasks', () => json(makeTask({ id: 'new-task' }), 202, { Location: '/api/tasks/new-task' }));
    const { onCreated } = setup(gateway);
    switchToJobs();
    fireEvent.click(screen.getByTestId('job-add'));
    fillRow(0, 'echo', 'hello');
    fillRow(1, 'wordcount', 'a b c');

    submit();

    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(onCreated.mock.calls[0]![0].id).toBe('new-task');
    const [sent] = gateway.sent('POST', '/api/tasks');
    expect(JSON.parse(sent!.body!)).toEqual({
      jobs: [
        { type: 'echo', input: 'hello' },
        { type: 'wordcount', input: 'a b c' },
      ],
    });
    expect(sent!.headers.get(IDEMPOTENCY_KEY_HEADER)).toBe('key-1');
  });

  it('submits on Ctrl+Enter or Cmd+Enter from the goal or a job input, where Enter alone is a new line', async () => {
    const gateway = fakeGateway().on('POST /api/tasks', () => json(makeTask({ id: 'new-task' }), 202));
    const { onCreated } = setup(gateway);
    const goal = screen.getByTestId('goal-input');
    fireEvent.change(goal, { target: { value: 'Count the words: hello world' } });

    fireEvent.keyDown(goal, { key: 'Enter' });
    fireEvent.keyDown(goal, { key: 'Enter', ctrlKey: true, isComposing: true }); // an input method picking a word
    expect(gateway.sent('POST', '/api/tasks')).toHaveLength(0);
    expect(fireEvent.keyDown(goal, { key: 'Enter', ctrlKey: true })).toBe(false); // no new line either
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());
    expect(JSON.parse(gateway.sent('POST', '/api/tasks')[0]!.body!)).toEqual({ goal: 'Count the words: hello world' });

    switchToJobs();
    fillRow(0, 'echo', 'hello');
    fireEvent.keyDown(within(rows()[0]!).getByTestId('job-input'), { key: 'Enter', metaKey: true });
    await waitFor(() => expect(onCreated).toHaveBeenCalledTimes(2));
    expect(JSON.parse(gateway.sent('POST', '/api/tasks')[1]!.body!)).toEqual({ jobs: [{ type: 'echo', input: 'hello' }] });
  });

  it('says under Submit that Ctrl+Enter submits, and names the keys on each text box, without a live region', () => {
    setup();
    const hint = screen.getByTestId('submit-hint');
    expect(hint.textContent).toBe('or Ctrl+Enter (⌘+Enter on a Mac) in a text box');
    expect(hint.closest('[aria-live], [role="status"], [role="alert"]')).toBeNull();
    expect(screen.getByTestId('goal-input').getAttribute('aria-keyshortcuts')).toBe('Control+Enter Meta+Enter');
    switchToJobs();
    expect(within(rows()[0]!).getByTestId('job-input').getAttribute('aria-keyshortcuts')).toBe('Control+Enter Meta+Enter');
  });

  it("shows the server's 422 errors per field, and the ones it cannot place in the summary", async () => {
    const gateway = fakeGateway().on('POST /api/tasks', () =>
      json(
        {
          title: 'One or more validation errors occurred.',
          status: 422,
          errors: { 'jobs[1].type': ["Unknown job type 'llm'."], 'jobs[0].input': ['Too large.'], tenant: ['Over quota.'] },
        },
        422,
      ),
    );
    const { onCreated } = setup(gateway);
    switchToJobs();
    fireEvent.click(screen.getByTestId('job-add'));
    fillRow(0, 'echo', 'x');
    fillRow(1, 'llm', 'y');

    submit();

    await screen.findByText("Unknown job type 'llm'.");
    expect(within(rows()[1]!).getByTestId('field-error').dataset.field).toBe('jobs[1].type');
    expect(within(rows()[1]!).getByTestId('job-type').getAttribute('aria-invalid')).toBe('true');
    expect(within(rows()[0]!).getByTestId('field-error').textContent).toBe('Too large.');
    const summary = screen.getByTestId('form-errors');
    expect(summary.textContent).toMatch(/One or more validation errors occurred\. \(HTTP 422\)/);
    expect(within(summary).getByTestId('form-error').textContent).toMatch(/tenant.*Over quota\./);
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('reuses the Idempotency-Key when the same submission is retried, and makes a new one after an edit', async () => {
    let calls = 0;
    const gateway = fakeGateway().on('POST /api/tasks', () => {
      calls++;
      if (calls === 1) throw new TypeError('Failed to fetch');
      if (calls === 2) return json({ title: 'Bad Gateway', status: 502 }, 502);
      return json(makeTask({ id: 't-ok' }), 202);
    });
    const { onCreated } = setup(gateway);
    fireEvent.change(screen.getByTestId('goal-input'), { target: { value: 'Summarise: the fox' } });

    submit();
    expect((await screen.findByRole('alert')).textContent).toMatch(/Gateway unreachable.*No answer from the server.*Failed to fetch/);
    submit();
    expect((await screen.findByRole('alert')).textContent).toMatch(/Bad Gateway \(HTTP 502\)/);
    submit();
    await waitFor(() => expect(onCreated).toHaveBeenCalledOnce());

    const keys = gateway.sent('POST', '/api/tasks').map((r) => r.headers.get(IDEMPOTENCY_KEY_HEADER));
    expect(keys).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it('uses a new key once the content changed', async () => {
    const gateway = fakeGateway().on('POST /api/tasks', () => {
      throw new TypeError('Failed to fetch');
    });
    setup(gateway);
    fireEvent.change(screen.getByTestId('goal-input'), { target: { value: 'first goal' } });
    submit();
    await screen.findByRole('alert');

    fireEvent.change(screen.getByTestId('goal-input'), { target: { value: 'second goal' } });
    submit();
    await waitFor(() => expect(gateway.sent('POST', '/api/tasks')).toHaveLength(2));

    expect(gateway.sent('POST', '/api/tasks').map((r) => r.headers.get(IDEMPOTENCY_KEY_HEADER))).toEqual(['key-1', 'key-2']);
  });

  it('sends one request for a double click', async () => {
    let answer: (response: Response) => void = () => {};
    const gateway = fakeGateway().on('POST /api/tasks', () => new Promise<Response>((resolve) => (answer = resolve)));
    const { onCreated } = setup(gateway);
    fireEvent.change(screen.getByTestId('goal-input'), { target: { value: 'Summarise: x' } });

    const button = screen.getByTestId('task-submit') as HTMLButtonElement;
    fireEvent.click(button);
    fireEvent.click(button);
    fireEvent.submit(button.form!);

    expect(button.disabled).toBe(true);
    expect(button.textContent).toBe('Submitting…');
    await act(async () => answer(json(makeTask(), 202)));

    expect(gateway.sent('POST', '/api/tasks')).toHaveLength(1);
    expect(onCreated).toHaveBeenCalledOnce();
  });
});

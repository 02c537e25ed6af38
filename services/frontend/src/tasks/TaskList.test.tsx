// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiClient } from '../api';
import { fakeGateway, json } from '../test-utils';
import type { TaskSummary } from '../types';
import { LIST_POLL_MS, TaskList, suggestStatus } from './TaskList';

const summary = (overrides: Partial<TaskSummary>): TaskSummary => ({
  id: 'aaaaaaaa-0000-0000-0000-000000000001',
  status: 'running',
  goal: null,
  createdAt: '2026-11-21T14:00:00Z',
  updatedAt: '2026-11-21T14:00:00Z',
  jobCount: 3,
  completedJobs: 1,
  ...overrides,
});

beforeEach(() => {
  vi.useFakeTimers();
  window.history.replaceState(null, '', '/');
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function renderList(gateway: ReturnType<typeof fakeGateway>, search = '') {
  const api = createApiClient({ fetch: gateway.fetch });
  return render(<TaskList api={api} search={search} />);
}

describe('TaskList', () => {
  it('shows status badges and job progress, and refreshes every 2 s while visible', async () => {
    let completed = 1;
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({
        items: [summary({ completedJobs: completed, goal: 'Summarise: fox' }), summary({ id: 'b2', status: 'queued', jobCount: 1, completedJobs: 0 })],
        page: 1,
        pageSize: 20,
        total: 2,
      }),
    );
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    const rows = screen.getAllByTestId('task-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByTestId('task-status').textContent).toBe('running');
    expect(within(rows[0]!).getByTestId('task-progress').textContent).toBe('1/3');
    expect(within(rows[0]!).getByTestId('task-link').getAttribute('href')).toBe('/tasks/aaaaaaaa-0000-0000-0000-000000000001');
    expect(rows[0]!.textContent).toContain('Summarise: fox');
    expect(within(rows[1]!).getByTestId('task-status').textContent).toBe('queued');
    expect(within(rows[1]!).getByTestId('task-link').textContent).toBe('1 explicit job (task ending b2)');
    expect(screen.getByText('2 tasks, 1 running on this page')).toBeTruthy();
    expect(gateway.requests[0]!.url.search).toBe('?page=1&pageSize=20');

    completed = 2;
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS));
    expect(gateway.requests).toHaveLength(2);
    expect(within(screen.getAllByTestId('task-row')[0]!).getByTestId('task-progress').textContent).toBe('2/3');
  });

  it('tells a screen reader the count in words that agree with it', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () => json({ items: [summary({ status: 'queued' })], page: 1, pageSize: 20, total: 1 }));
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(screen.getByText('1 task, 0 running on this page')).toBeTruthy();
  });

  it('tells apart tasks made together: their ids share the time-ordered start, so the list shows the end', async () => {
    const ids = ['01a22ee8-c117-7b38-8e8f-572da0918124', '01a22ee8-c123-77ce-91e9-1e583e136f83'];
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({ items: ids.map((id) => summary({ id, goal: 'Summarise: the quick brown fox' })), page: 1, pageSize: 20, total: 2 }),
    );
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    const shown = screen.getAllByTestId('task-id');
    expect(shown.map((e) => e.textContent)).toEqual(['…a0918124', '…3e136f83']);
    expect(shown.map((e) => e.getAttribute('title'))).toEqual(ids);
    expect(screen.getAllByTestId('task-link').map((e) => e.textContent)).toEqual([
      'Summarise: the quick brown fox (task ending a0918124)',
      'Summarise: the quick brown fox (task ending 3e136f83)',
    ]);

    await act(async () => fireEvent.click(screen.getAllByTestId('task-copy-id')[1]!));
    expect(writeText).toHaveBeenCalledWith(ids[1]);
    expect(screen.getAllByTestId('task-copy-id')[1]!.textContent).toBe('copied');
  });

  it('names each link of tasks without a goal apart: its words are the job count, so the id\'s end is in its name', async () => {
    const ids = ['01a22ee8-c117-7b38-8e8f-572da0918124', '01a22ee8-c123-77ce-91e9-1e583e136f83', '01a22ee8-c130-7000-8000-00000000beef'];
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({ items: ids.map((id) => summary({ id, jobCount: 1 })), page: 1, pageSize: 20, total: 3 }),
    );
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    const links = screen.getAllByRole('link', { name: /^1 explicit job/ });
    expect(links.map((link) => link.getAttribute('href'))).toEqual(ids.map((id) => `/tasks/${id}`));
    expect(screen.getByRole('link', { name: '1 explicit job (task ending a0918124)' })).toBe(links[0]);
    expect(screen.getByRole('link', { name: '1 explicit job (task ending 3e136f83)' })).toBe(links[1]);
    expect(screen.getByRole('link', { name: '1 explicit job (task ending 0000beef)' })).toBe(links[2]);
    // Seen, the id's end is the line under the link: the name part is for screen readers only.
    expect(links[0]!.querySelector('.visually-hidden')?.textContent).toBe('(task ending a0918124)');
  });

  it.each([
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
    ['running', 'done'],
  ])('colours the finished jobs of a %s task as %s, never as a success it was not', async (status, segment) => {
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({ items: [summary({ status, jobCount: 7, completedJobs: 7 })], page: 1, pageSize: 20, total: 1 }),
    );
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    const progress = screen.getByTestId('task-progress');
    const segments = within(progress).getAllByTestId('progress-segment');
    expect(segments.map((e) => e.dataset.status)).toEqual([segment]);
    expect(segments[0]!.className).toContain(`segment-${segment}`);
    expect(within(progress).getByRole('progressbar').getAttribute('aria-valuetext')).toBe(`7 of 7 jobs finished: 7 ${segment}`);
    expect(within(progress).getByRole('progressbar', { name: 'Jobs finished' })).toBeTruthy();
  });

  it('pauses while the page is hidden and refreshes at once when it is shown again', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () => json({ items: [], page: 1, pageSize: 20, total: 0 }));
    let visibility: DocumentVisibilityState = 'visible';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByTestId('tasks-empty').textContent).toMatch(/No tasks yet/);

    visibility = 'hidden';
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS * 5));
    expect(gateway.requests).toHaveLength(1); // the scheduled poll found the page hidden and stopped

    visibility = 'visible';
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
      await vi.advanceTimersByTimeAsync(0);
    });
    expect(gateway.requests).toHaveLength(2);
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS));
    expect(gateway.requests).toHaveLength(3);
  });

  it('filters by status through the URL, and pages', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({ items: [summary({ status: 'failed' })], page: 2, pageSize: 20, total: 41 }),
    );
    renderList(gateway, 'status=failed&page=2');
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(gateway.requests[0]!.url.search).toBe('?status=failed&page=2&pageSize=20');
    expect((screen.getByTestId('status-filter') as HTMLSelectElement).value).toBe('failed');
    expect(screen.getByTestId('page-info').textContent).toBe('Page 2 of 3');

    fireEvent.click(screen.getByTestId('page-next'));
    expect(window.location.search).toBe('?status=failed&page=3');
    fireEvent.change(screen.getByTestId('status-filter'), { target: { value: 'running' } });
    expect(window.location.search).toBe('?status=running');
  });

  it('says a status it does not know is not one, shows all tasks, and offers the one it likely meant', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () => json({ items: [summary({})], page: 1, pageSize: 20, total: 1 }));
    renderList(gateway, 'status=runing');
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(gateway.requests[0]!.url.searchParams.has('status')).toBe(false);
    expect(screen.getByTestId('tasks-unknown-status').textContent).toBe('There is no status “runing”; showing all tasks. Did you mean running?');
    expect(screen.getByTestId('tasks-suggested-status').getAttribute('href')).toBe('/?status=running');

    cleanup();
    renderList(gateway, 'status=done');
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByTestId('tasks-unknown-status').textContent).toBe(
      'There is no status “done”; showing all tasks. The statuses are queued, running, succeeded, failed, cancelled.',
    );

    cleanup();
    renderList(gateway, 'status=Failed');
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.queryByTestId('tasks-unknown-status')).toBeNull();
  });

  it('suggests a status from its beginning or from a near miss', () => {
    expect(suggestStatus('succ')).toBe('succeeded');
    expect(suggestStatus('canceled')).toBe('cancelled');
    expect(suggestStatus('QUEUD')).toBe('queued');
    expect(suggestStatus('xyz')).toBeUndefined();
  });

  it('says when the server stopped counting, and pages only as far as it lists', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () =>
      json({ items: [summary({ status: 'succeeded' })], page: 500, pageSize: 20, total: 10000, totalExact: false }),
    );
    renderList(gateway, 'page=500');
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(screen.getByTestId('page-info').textContent).toBe('Page 500 of 500 (the newest 10,000 tasks)');
    expect((screen.getByTestId('page-next') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/more than 10,000 tasks, 0 running on this page/)).toBeTruthy();
  });

  it('says a page past the end is not there and links back to the first, whether it is empty or refused', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', (request) =>
      request.url.searchParams.get('page') === '3'
        ? json({ items: [], page: 3, pageSize: 20, total: 1 })
        : json({ type: 'about:blank', title: 'One or more validation errors occurred.', status: 422, errors: { page: ['Pages reach the newest 10,000 tasks'] } }, 422),
    );
    renderList(gateway, 'page=3');
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(screen.getByTestId('tasks-past-end').textContent).toBe('There is no page 3 (1 task: 1 page). Go to page 1.');
    expect(screen.getByTestId('tasks-first-page').getAttribute('href')).toBe('/');
    expect(screen.queryByTestId('tasks-empty')).toBeNull();

    cleanup();
    renderList(gateway, 'status=failed&page=600');
    await act(() => vi.advanceTimersByTimeAsync(0));
    // The refusal is the page's absence, said once: no error box beside it (helper-60).
    expect(screen.queryByTestId('tasks-error')).toBeNull();
    expect(screen.getByTestId('tasks-past-end').textContent).toBe('There is no page 600. Go to page 1.');
    expect(screen.getByTestId('tasks-first-page').getAttribute('href')).toBe('/?status=failed');
  });

  it('does not call a page missing when a poll of it fails for another reason', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () => json({ title: 'Service Unavailable', status: 503 }, 503));
    renderList(gateway, 'page=2');
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(screen.getByTestId('tasks-error')).toBeTruthy();
    expect(screen.queryByTestId('tasks-past-end')).toBeNull();
  });

  it('shows an unreachable gateway, and keeps trying with backoff', async () => {
    const gateway = fakeGateway().on('GET /api/tasks', () => {
      throw new TypeError('Failed to fetch');
    });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    renderList(gateway);
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(screen.getByTestId('tasks-error').textContent).toMatch(/Gateway unreachable.*No answer from the server/);
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS));
    expect(gateway.requests).toHaveLength(2);
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS)); // second failure: 4 s
    expect(gateway.requests).toHaveLength(2);
    await act(() => vi.advanceTimersByTimeAsync(LIST_POLL_MS));
    expect(gateway.requests).toHaveLength(3);
  });
});

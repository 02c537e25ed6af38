// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../api';
import { fakeGateway, json, makeJob, makeTask, sseStream, type SseStream } from '../test-utils';
import { TaskDetail } from './TaskDetail';

afterEach(cleanup);

function renderDetail(gateway: ReturnType<typeof fakeGateway>, id = 'task-1') {
  const api = createApiClient({ fetch: gateway.fetch });
  return render(<TaskDetail api={api} id={id} watchOptions={{ random: () => 0.5 }} />);
}

const jobs = () => screen.getAllByTestId('task-job');
const progressText = () => screen.getByTestId('task-progress').querySelector('.progress-text')!.textContent;
const segments = () => within(screen.getByTestId('task-progress')).queryAllByTestId('progress-segment');
const cell = (row: number, testId: string) => within(jobs()[row]!).getByTestId(testId);

const running = makeTask({
  status: 'running',
  jobs: [
    makeJob({ id: 'j1', type: 'echo', input: 'hello', status: 'running', attempts: 1 }),
    makeJob({ id: 'j2', type: 'wordcount', input: 'a b c', status: 'queued' }),
  ],
});

describe('TaskDetail', () => {
  it('shows the task, then follows its event stream until it is final', async () => {
    const streams: SseStream[] = [];
    const gateway = fakeGateway()
      .on('GET /api/tasks/task-1', () => json(running))
      .on('GET /api/tasks/task-1/events', (r) => {
        const s = sseStream(r.signal);
        streams.push(s);
        return s.response;
      });
    renderDetail(gateway);

    expect((await screen.findByTestId('task-status')).textContent).toBe('running');
    expect(cell(0, 'job-status').textContent).toBe('running');
    expect(cell(0, 'job-attempts').textContent).toBe('1');
    expect(cell(1, 'job-result').textContent).toBe('—');
    expect(progressText()).toBe('0/2');
    expect(segments().map((e) => e.dataset.status)).toEqual(['running']);
    await waitFor(() => expect(streams).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId('live-state').textContent).toBe('live'));

    // An event split over two chunks, the way a network may deliver it.
    const halfway = makeTask({
      ...running,
      updatedAt: '2026-11-21T14:00:01Z',
      jobs: [makeJob({ ...running.jobs[0], status: 'succeeded', result: 'hello' }), running.jobs[1]!],
    });
    const text = `event: task\ndata: ${JSON.stringify(halfway)}\n\n`;
    await act(async () => streams[0]!.send(text.slice(0, 25)));
    expect(cell(0, 'job-status').textContent).toBe('running');
    await act(async () => streams[0]!.send(text.slice(25)));
    await waitFor(() => expect(cell(0, 'job-status').textContent).toBe('succeeded'));
    expect(cell(0, 'job-result').textContent).toBe('hello');
    expect(progressText()).toBe('1/2');

    const finished = makeTask({
      ...running,
      status: 'failed',
      updatedAt: '2026-11-21T14:00:05Z',
      jobs: [halfway.jobs[0]!, makeJob({ ...running.jobs[1], status: 'dead', attempts: 3, error: 'worker crashed' })],
    });
    await act(async () => streams[0]!.event('task', finished));

    await waitFor(() => expect(screen.getByTestId('task-status').textContent).toBe('failed'));
    expect(cell(1, 'job-status').textContent).toBe('dead');
    expect(cell(1, 'job-attempts').textContent).toBe('3');
    expect(within(jobs()[1]!).getByTestId('job-error').textContent).toBe('worker crashed');
    expect(segments().map((e) => [e.dataset.status, e.dataset.count])).toEqual([
      ['succeeded', '1'],
      ['dead', '1'],
    ]);
    expect(screen.getByTestId('job-counts').textContent).toBe('1 succeeded · 1 dead');
    expect(screen.getByTestId('live-state').textContent).toBe('final');
    expect(screen.queryByTestId('task-cancel')).toBeNull();
    expect(screen.getByRole('status').textContent).toMatch(/Task status: failed/);
  });

  it('opens no stream for a task that is already final', async () => {
    const gateway = fakeGateway().on('GET /api/tasks/task-1', () =>
      json(makeTask({ status: 'succeeded', jobs: [makeJob({ status: 'succeeded', attempts: 1, result: '3' })] })),
    );
    renderDetail(gateway);

    await waitFor(() => expect(screen.getByTestId('live-state').textContent).toBe('final'));
    expect(cell(0, 'job-result').textContent).toBe('3');
    expect(gateway.requests.map((r) => r.url.pathname)).toEqual(['/api/tasks/task-1']);
  });

  it('cancels with DELETE while the task is not final', async () => {
    const gateway = fakeGateway()
      .on('GET /api/tasks/task-1', () => json(running))
      .on('GET /api/tasks/task-1/events', (r) => sseStream(r.signal).response)
      .on('DELETE /api/tasks/task-1', () =>
        json(
          makeTask({
            ...running,
            status: 'cancelled',
            updatedAt: '2026-11-21T14:00:09Z',
            jobs: [running.jobs[0]!, makeJob({ ...running.jobs[1], status: 'cancelled' })],
          }),
          202,
        ),
      );
    renderDetail(gateway);

    fireEvent.click(await screen.findByTestId('task-cancel'));
    expect(gateway.sent('DELETE', '/api/tasks/task-1')).toHaveLength(0); // asked once more first
    fireEvent.click(screen.getByTestId('task-cancel-keep'));
    expect(gateway.sent('DELETE', '/api/tasks/task-1')).toHaveLength(0);
    expect(document.activeElement).toBe(screen.getByTestId('task-cancel')); // back where it was, not the page
    fireEvent.click(screen.getByTestId('task-cancel'));
    expect(document.activeElement).toBe(screen.getByTestId('task-cancel-confirm'));
    fireEvent.click(screen.getByTestId('task-cancel-confirm'));

    await waitFor(() => expect(screen.getByTestId('task-status').textContent).toBe('cancelled'));
    expect(cell(1, 'job-status').textContent).toBe('cancelled');
    expect(screen.queryByTestId('task-cancel')).toBeNull();
    await waitFor(() => expect(document.activeElement?.id).toBe('task-heading'));
    expect(gateway.sent('DELETE', '/api/tasks/task-1')).toHaveLength(1);
  });

  it('says so when the task does not exist', async () => {
    renderDetail(fakeGateway(), 'missing');
    expect((await screen.findByTestId('task-not-found')).textContent).toMatch(/There is no task missing/);
  });

  it('shows an unreachable gateway as such', async () => {
    const gateway = fakeGateway().onPattern('GET', /.*/, () => {
      throw new TypeError('Failed to fetch');
    });
    renderDetail(gateway);

    const alert = await screen.findByTestId('task-error');
    expect(alert.textContent).toMatch(/Gateway unreachable/);
    expect(alert.textContent).toMatch(/No answer from the server/);
  });

  it('shows the outcome of a failed and a cancelled task truthfully, and the whole error', async () => {
    const error = `chat answered 422 Unprocessable Entity: ${'{"type":"https://tools.ietf.org/html/rfc4918#section-11.2"} '.repeat(20)}`;
    const failed = makeTask({
      status: 'failed',
      jobs: [
        makeJob({ id: 'a', status: 'succeeded', result: 'first' }),
        makeJob({ id: 'b', type: 'llm', input: 'lorem ipsum '.repeat(2000), status: 'failed', error }),
        makeJob({ id: 'c', status: 'cancelled' }),
        makeJob({ id: 'd', status: 'cancelled' }),
      ],
    });
    renderDetail(fakeGateway().on('GET /api/tasks/task-1', () => json(failed)));

    await waitFor(() => expect(screen.getByTestId('live-state').textContent).toBe('final'));
    expect(progressText()).toBe('4/4');
    expect(segments().map((e) => [e.dataset.status, e.style.width])).toEqual([
      ['succeeded', '25%'],
      ['failed', '25%'],
      ['cancelled', '50%'],
    ]);
    expect(screen.getByTestId('job-counts').textContent).toBe('1 succeeded · 1 failed · 2 cancelled');
    expect(within(screen.getByTestId('task-progress')).getByRole('progressbar').getAttribute('aria-valuetext')).toBe(
      '4 of 4 jobs finished: 1 succeeded · 1 failed · 2 cancelled',
    );
    // The error is all there, in a block of its own across the job (not a column beside the input).
    const shown = within(jobs()[1]!).getByTestId('job-error');
    expect(shown.textContent).toBe(error);
    expect(shown.parentElement!.className).toContain('job-error-field');
  });
});

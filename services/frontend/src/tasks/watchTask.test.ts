import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from '../api';
import { fakeGateway, json, makeJob, makeTask, sseStream, type SseStream } from '../test-utils';
import type { Task } from '../types';
import { backoffDelay, watchTask, type WatchState } from './watchTask';

afterEach(() => {
  vi.useRealTimers();
});

function start(gateway: ReturnType<typeof fakeGateway>, options: { maxStreamFailures?: number; streamIdleMs?: number } = {}) {
  const api = createApiClient({ fetch: gateway.fetch });
  const controller = new AbortController();
  const tasks: Task[] = [];
  const states: WatchState[] = [];
  const errors: { error: unknown; fatal: boolean }[] = [];
  const done = watchTask({
    api,
    id: 't1',
    signal: controller.signal,
    onTask: (t) => tasks.push(t),
    onState: (s) => states.push(s),
    onError: (error, fatal) => errors.push({ error, fatal }),
    initialBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    pollIntervalMs: 2_000,
    random: () => 0.5,
    ...options,
  });
  return { controller, tasks, states, errors, done };
}

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with ±20 % jitter', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1_000, 15_000, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(backoffDelay(1, 1_000, 15_000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1_000, 15_000, () => 0.999999)).toBe(1_200);
  });
});

describe('watchTask', () => {
  it('reads task events until a final status, sending no API key', async () => {
    const streams: SseStream[] = [];
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      const s = sseStream(r.signal);
      streams.push(s);
      return s.response;
    });
    const { tasks, states, done } = start(gateway);

    await vi.waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.send(': connected\n\n');
    streams[0]!.event('task', makeTask({ status: 'running' }));
    streams[0]!.event('task', makeTask({ status: 'succeeded' }));
    await done;

    expect(tasks.map((t) => t.status)).toEqual(['running', 'succeeded']);
    expect(states).toEqual(['streaming', 'done']);
    expect(gateway.requests[0]!.headers.has('X-Api-Key')).toBe(false);
    expect(gateway.requests[0]!.headers.get('Accept')).toBe('text/event-stream');
  });

  it('merges each change event into the task of the stream\'s first event', async () => {
    const streams: SseStream[] = [];
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      const s = sseStream(r.signal);
      streams.push(s);
      return s.response;
    });
    const { tasks, done } = start(gateway);
    const jobs = [makeJob({ id: 'j1', input: 'a' }), makeJob({ id: 'j2', input: 'b' })];

    await vi.waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.event('task', makeTask({ status: 'queued', jobs }));
    streams[0]!.event('change', { status: 'running', updatedAt: '2026-11-21T14:00:01Z', jobs: [{ id: 'j2', status: 'running', attempts: 1, result: null, error: null }] });
    streams[0]!.event('change', { status: 'running', updatedAt: '2026-11-21T14:00:02Z', jobs: [{ id: 'j2', status: 'succeeded', attempts: 1, result: 'B', error: null }] });
    streams[0]!.event('task', makeTask({ status: 'succeeded', jobs: jobs.map((j) => ({ ...j, status: 'succeeded', result: j.input.toUpperCase() })) }));
    await done;

    expect(tasks.map((t) => [t.status, t.updatedAt, ...t.jobs.map((j) => `${j.input}:${j.status}:${j.result}`)])).toEqual([
      ['queued', '2026-11-21T14:00:00Z', 'a:queued:null', 'b:queued:null'],
      ['running', '2026-11-21T14:00:01Z', 'a:queued:null', 'b:running:null'],
      ['running', '2026-11-21T14:00:02Z', 'a:queued:null', 'b:succeeded:B'],
      ['succeeded', '2026-11-21T14:00:00Z', 'a:succeeded:A', 'b:succeeded:B'],
    ]);
  });

  it('reconnects with backoff when the stream ends early, then polls after repeated failures', async () => {
    vi.useFakeTimers();
    let streamCalls = 0;
    let polls = 0;
    const gateway = fakeGateway()
      .on('GET /api/tasks/t1/events', () => {
        streamCalls++;
        return new Response(null, { status: 503 }); // e.g. the gateway cannot reach the orchestrator
      })
      .on('GET /api/tasks/t1', () => {
        polls++;
        return json(makeTask({ status: polls < 3 ? 'running' : 'succeeded' }));
      });
    const { tasks, states, errors, done } = start(gateway, { maxStreamFailures: 3 });

    await vi.advanceTimersByTimeAsync(0);
    expect(streamCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(streamCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // 1 s after the first failure
    expect(streamCalls).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000); // 2 s after the second
    expect(streamCalls).toBe(3);
    expect(polls).toBe(1); // third failure: polling at once
    await vi.advanceTimersByTimeAsync(2_000);
    expect(polls).toBe(2);
    await vi.advanceTimersByTimeAsync(2_000);
    await done;

    expect(polls).toBe(3);
    expect(tasks.map((t) => t.status)).toEqual(['running', 'running', 'succeeded']);
    // "live" (streaming) only while a stream answers: the failed reconnects stay "reconnecting".
    expect(states).toEqual(['streaming', 'reconnecting', 'reconnecting', 'polling', 'polling', 'polling', 'done']);
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e.error instanceof ApiError && !e.fatal)).toBe(true);
  });

  it('keeps streaming after a drop that came after events (proxy idle timeouts)', async () => {
    vi.useFakeTimers();
    const streams: SseStream[] = [];
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      const s = sseStream(r.signal);
      streams.push(s);
      return s.response;
    });
    const { tasks, states, done } = start(gateway, { maxStreamFailures: 2 });

    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(0);
      expect(streams).toHaveLength(i + 1);
      streams[i]!.event('task', makeTask({ status: 'running', updatedAt: `2026-11-21T14:00:0${i}Z` }));
      streams[i]!.close();
      await vi.advanceTimersByTimeAsync(1_000);
    }
    streams[4]!.event('task', makeTask({ status: 'failed' }));
    await done;

    expect(tasks.map((t) => t.status)).toEqual(['running', 'running', 'running', 'running', 'failed']);
    expect(states).not.toContain('polling');
  });

  it('reconnects when the stream goes silent, with no event or keep-alive for longer than the heartbeat allows', async () => {
    vi.useFakeTimers();
    const streams: SseStream[] = [];
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      const s = sseStream(r.signal);
      streams.push(s);
      return s.response;
    });
    const { states, errors, done } = start(gateway, { streamIdleMs: 35_000 });

    await vi.advanceTimersByTimeAsync(0);
    streams[0]!.event('task', makeTask({ status: 'running' }));
    await vi.advanceTimersByTimeAsync(20_000);
    streams[0]!.send(': keep-alive\n\n'); // a keep-alive resets the clock
    await vi.advanceTimersByTimeAsync(34_000);
    expect(streams).toHaveLength(1);
    expect(states).toEqual(['streaming']);

    await vi.advanceTimersByTimeAsync(1_000); // 35 s of silence: a gateway stopped with SIGSTOP keeps the connection open
    expect(states).toEqual(['streaming', 'reconnecting']);
    expect(String(errors[0]!.error)).toMatch(/sent nothing for 35 s/);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(streams).toHaveLength(2);
    expect(states).toEqual(['streaming', 'reconnecting', 'streaming']);
    streams[1]!.event('task', makeTask({ status: 'succeeded' }));
    await done;
  });

  it('stays "reconnecting" while a reconnect gets no answer, and takes that for a stall too', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      calls++;
      if (calls === 1) return new Response(null, { status: 503 });
      return new Promise<Response>((_, reject) => r.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    });
    const { states, errors, controller } = start(gateway, { streamIdleMs: 35_000, maxStreamFailures: 5 });

    await vi.advanceTimersByTimeAsync(1_000); // the 503, then the reconnect a second later: a stopped gateway
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(34_000);
    expect(states).toEqual(['streaming', 'reconnecting']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(String(errors[1]!.error)).toMatch(/sent nothing for 35 s/);
    expect(states).toEqual(['streaming', 'reconnecting', 'reconnecting']);
    controller.abort();
  });

  it('stops on a 404 and reports it as fatal', async () => {
    const gateway = fakeGateway(); // unrouted: 404 ProblemDetails
    const { errors, done } = start(gateway);
    await done;

    expect(errors).toHaveLength(1);
    expect(errors[0]!.fatal).toBe(true);
    expect((errors[0]!.error as ApiError).status).toBe(404);
    expect(gateway.requests).toHaveLength(1);
  });

  it('stops quietly when aborted', async () => {
    const streams: SseStream[] = [];
    const gateway = fakeGateway().on('GET /api/tasks/t1/events', (r) => {
      const s = sseStream(r.signal);
      streams.push(s);
      return s.response;
    });
    const { controller, errors, done } = start(gateway);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.event('task', makeTask({ status: 'running' }));

    controller.abort();
    await done;

    expect(errors).toEqual([]);
    expect(gateway.requests).toHaveLength(1);
  });
});

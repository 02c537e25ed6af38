// Follows one task until it reaches a final status: the SSE stream GET /api/tasks/{id}/events first (read with fetch,
// because EventSource cannot send X-Api-Key), reconnecting with exponential backoff when it drops, and polling
// GET /api/tasks/{id} when the stream keeps failing (a proxy that buffers or blocks event streams, for instance).
// Framework-free, so it is tested with fake timers; useTaskWatch() in TaskDetail wires it to React.

import { ApiError, isAbortError, type ApiClient } from '../api';
import { readSse, StalledStreamError } from '../sse';
import { applyTaskChange, isFinalTaskStatus, type Task, type TaskChange } from '../types';

export type WatchState = 'streaming' | 'reconnecting' | 'polling' | 'done';

export interface WatchOptions {
  readonly api: ApiClient;
  readonly id: string;
  readonly signal: AbortSignal;
  /** Every version of the task that arrives (from an event or a poll). */
  readonly onTask: (task: Task) => void;
  readonly onState?: (state: WatchState) => void;
  /** A failure worth showing; `fatal` when watching stopped because of it (401, 404, ...). */
  readonly onError?: (error: unknown, fatal: boolean) => void;
  /** Stream failures in a row (without any event received) before falling back to polling. */
  readonly maxStreamFailures?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly pollIntervalMs?: number;
  /** A stream silent this long (no event, no keep-alive) is taken for lost and reconnected. */
  readonly streamIdleMs?: number;
  /** Jitter source in [0, 1); 0.5 means no jitter (tests). */
  readonly random?: () => number;
}

export const WATCH_DEFAULTS = {
  maxStreamFailures: 3,
  initialBackoffMs: 1_000,
  maxBackoffMs: 15_000,
  pollIntervalMs: 2_000,
  // The orchestrator sends a keep-alive after 15 s without an event (docs/api.md): two missed, and a margin.
  streamIdleMs: 35_000,
} as const;

/** The delay before reconnect attempt `failures` (1, 2, ...): doubling from initial, capped, ±20 % jitter. */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Resolves after ms, or at once when the signal aborts (the caller checks signal.aborted). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** 4xx answers other than 408 and 429 will not get better by asking again. */
function isFatal(error: unknown): boolean {
  return error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

export async function watchTask(options: WatchOptions): Promise<void> {
  const { api, id, signal, onTask } = options;
  const maxFailures = options.maxStreamFailures ?? WATCH_DEFAULTS.maxStreamFailures;
  const initialMs = options.initialBackoffMs ?? WATCH_DEFAULTS.initialBackoffMs;
  const maxMs = options.maxBackoffMs ?? WATCH_DEFAULTS.maxBackoffMs;
  const pollMs = options.pollIntervalMs ?? WATCH_DEFAULTS.pollIntervalMs;
  const idleTimeoutMs = options.streamIdleMs ?? WATCH_DEFAULTS.streamIdleMs;
  const setState = (state: WatchState) => {
    if (!signal.aborted) options.onState?.(state);
  };
  const report = (error: unknown, fatal: boolean) => {
    if (!signal.aborted) options.onError?.(error, fatal);
  };

  let failures = 0;
  while (!signal.aborted && failures < maxFailures) {
    // "live" only once a stream answers: a reconnect to a hung server stays "reconnecting" (helper-137).
    if (failures === 0) setState('streaming');
    let received = false;
    // The answer's headers are bounded as the body's silences are: a stopped gateway holds the request open.
    const connecting = new AbortController();
    const stop = () => connecting.abort();
    signal.addEventListener('abort', stop);
    const headersTimer = setTimeout(() => connecting.abort(), idleTimeoutMs);
    try {
      let response: Response;
      try {
        response = await api.taskEvents(id, connecting.signal);
      } catch (error) {
        throw !signal.aborted && connecting.signal.aborted ? new StalledStreamError(idleTimeoutMs) : error;
      } finally {
        clearTimeout(headersTimer);
      }
      if (failures > 0) setState('streaming');
      // Each stream starts with the whole task; its `change` events carry only what changed since.
      let task: Task | undefined;
      for await (const event of readSse(response.body!, { idleTimeoutMs })) {
        if (event.event === 'task') task = JSON.parse(event.data) as Task;
        else if (event.event === 'change' && task) task = applyTaskChange(task, JSON.parse(event.data) as TaskChange);
        else continue;
        received = true;
        onTask(task);
        if (isFinalTaskStatus(task.status)) {
          setState('done');
          return; // leaving the loop cancels the body
        }
      }
      // The stream ended before a final status (a proxy's idle timeout, a restart): reconnect.
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      if (isFatal(error)) {
        report(error, true);
        return;
      }
      report(error, false);
    } finally {
      signal.removeEventListener('abort', stop);
    }
    failures = received ? 1 : failures + 1;
    if (failures >= maxFailures) break;
    setState('reconnecting');
    await sleep(backoffDelay(failures, initialMs, maxMs, options.random), signal);
  }

  // The stream does not work from here: poll until the task is final.
  while (!signal.aborted) {
    setState('polling');
    try {
      const task = await api.getTask(id, signal);
      onTask(task);
      if (isFinalTaskStatus(task.status)) {
        setState('done');
        return;
      }
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      if (isFatal(error)) {
        report(error, true);
        return;
      }
      report(error, false);
    }
    await sleep(pollMs, signal);
  }
}

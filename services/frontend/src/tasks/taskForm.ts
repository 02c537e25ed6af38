// The task form's model: drafts, the client-side validation (mirroring the orchestrator's, with errors keyed by the
// same field paths as a 422's `errors`, so one display path serves both), the request body, and idempotency keys.

import { JOB_TYPES, type CreateTaskRequest } from '../types';

/** The orchestrator accepts 1 to 100 jobs per task. */
export const MAX_JOBS = 100;
/**
 * Each input may be up to 64 KiB. Counted in UTF-8 bytes: that is never fewer than the UTF-16 code units a .NET string
 * length counts, so whichever the server measures, an input allowed here is allowed there.
 */
export const MAX_INPUT_BYTES = 64 * 1024;
/** All of a task's inputs together (Contracts' Limits.MaxTaskInputBytes). */
export const MAX_TASK_INPUT_BYTES = 1024 * 1024;
/** The same bound for a goal (the gateway limits the whole body anyway). */
export const MAX_GOAL_BYTES = MAX_INPUT_BYTES;
/** An llm job's input is one chat message, which chat caps at 32 KiB (Contracts' Limits.MaxInputBytes); its replies too. */
export const MAX_LLM_INPUT_BYTES = 32 * 1024;

/** The largest input of a job of this type, as the orchestrator checks it at submit. */
export function maxInputBytes(type: string): number {
  return type === 'llm' ? MAX_LLM_INPUT_BYTES : MAX_INPUT_BYTES;
}

export type FormMode = 'goal' | 'jobs';

export interface JobDraft {
  /** Stable React key of the row (indices shift when a row is removed). */
  readonly key: number;
  readonly type: string;
  readonly input: string;
}

export interface TaskDraft {
  readonly mode: FormMode;
  readonly goal: string;
  readonly jobs: readonly JobDraft[];
}

/** Messages keyed by field path: `goal`, `jobs`, `jobs[0].type`, `jobs[0].input`; other keys are form-level. */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** "65,538 bytes", as the server says it: never rounded to KiB, so an input just over the limit does not read as at it. */
function bytesText(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}

function limitText(bytes: number): string {
  return `${bytesText(bytes)} (${(bytes / 1024).toLocaleString('en-US')} KiB)`;
}

/** "The goal is 70,000 bytes of UTF-8; at most 65,536 bytes (64 KiB) are allowed.", or undefined within the limit. */
export function sizeProblem(text: string, what: string, max: number): string | undefined {
  const bytes = utf8Length(text);
  return bytes > max ? `${what} is ${bytesText(bytes)} of UTF-8; at most ${limitText(max)} are allowed.` : undefined;
}

/** PostgreSQL stores any character in text but U+0000; the server refuses it, so the form says so first. */
export function nulProblem(text: string, what: string): string | undefined {
  const at = text.indexOf('\0');
  return at < 0 ? undefined : `${what} contains a NUL character (U+0000) at position ${at}; text may hold any other character.`;
}

export function validateTaskDraft(draft: TaskDraft): FieldErrors {
  const errors: Record<string, string[]> = {};
  if (draft.mode === 'goal') {
    if (draft.goal.trim() === '') errors.goal = ['Describe the goal, or switch to explicit jobs.'];
    else if (sizeProblem(draft.goal, 'The goal', MAX_GOAL_BYTES)) errors.goal = [sizeProblem(draft.goal, 'The goal', MAX_GOAL_BYTES)!];
    else if (nulProblem(draft.goal, 'The goal')) errors.goal = [nulProblem(draft.goal, 'The goal')!];
    return errors;
  }

  if (draft.jobs.length === 0) errors.jobs = ['At least one job is required.'];
  else if (draft.jobs.length > MAX_JOBS) errors.jobs = [`At most ${MAX_JOBS} jobs are allowed (there are ${draft.jobs.length}).`];
  draft.jobs.forEach((job, i) => {
    if (job.type.trim() === '') errors[`jobs[${i}].type`] = ['A job type is required.'];
    else if (!(JOB_TYPES as readonly string[]).includes(job.type))
      errors[`jobs[${i}].type`] = [`Unknown job type '${job.type}'. Known types: ${JOB_TYPES.join(', ')}.`];
    const size = sizeProblem(job.input, 'The input', maxInputBytes(job.type));
    const nul = nulProblem(job.input, 'The input');
    if (size) errors[`jobs[${i}].input`] = [size];
    else if (nul) errors[`jobs[${i}].input`] = [nul];
    else if (job.type === 'sleep' && !/^\s*\d+\s*$/.test(job.input))
      errors[`jobs[${i}].input`] = ['A sleep job takes a whole number of milliseconds, e.g. 500.'];
    else if (job.input.trim() === '') errors[`jobs[${i}].input`] = ['Give the job an input.'];
  });
  const total = draft.jobs.reduce((sum, job) => sum + utf8Length(job.input), 0);
  if (!errors.jobs && total > MAX_TASK_INPUT_BYTES)
    errors.jobs = [
      `The jobs' inputs come to ${bytesText(total)} of UTF-8; at most ${limitText(MAX_TASK_INPUT_BYTES)} are allowed in all. Split the work into several tasks.`,
    ];
  return errors;
}

export function toCreateTaskRequest(draft: TaskDraft): CreateTaskRequest {
  if (draft.mode === 'goal') return { goal: draft.goal.trim() };
  return {
    jobs: draft.jobs.map((job) => ({ type: job.type, input: job.type === 'sleep' ? job.input.trim() : job.input })),
  };
}

/**
 * Server keys in the contract's spelling: `$.jobs[0].type` and `Jobs[0].Type` become `jobs[0].type` (ASP.NET may
 * prefix a JSON path or keep a property's C# casing); messages for one key are merged.
 */
export function normalizeErrorKeys(errors: Readonly<Record<string, readonly string[]>>): FieldErrors {
  const result: Record<string, string[]> = {};
  for (const [key, messages] of Object.entries(errors)) {
    const normalized = key
      .replace(/^\$\.?/, '')
      .split('.')
      .map((part) => part.charAt(0).toLowerCase() + part.slice(1))
      .join('.');
    (result[normalized] ??= []).push(...messages);
  }
  return result;
}

/** Whether a key is shown next to a visible field of the form (the others go to the form-level summary). */
export function isFieldKey(key: string, mode: FormMode, jobCount: number): boolean {
  if (mode === 'goal') return key === 'goal';
  if (key === 'jobs') return true;
  const match = /^jobs\[(\d+)\](?:\.(type|input))?$/.exec(key);
  return match !== null && Number(match[1]) < jobCount;
}

/**
 * A fresh Idempotency-Key. crypto.randomUUID exists only in secure contexts (https or localhost), and the UI may be
 * served over plain http on another host, so fall back to a v4 UUID from getRandomValues (available everywhere).
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The gateway's JSON shapes, as docs/api.md defines them. Status values are lower case in JSON; the UI still reads
// them through normalizeStatus() so an unexpected casing shows up as a status instead of breaking a comparison.

export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_TYPES = ['echo', 'wordcount', 'hash', 'sleep', 'llm'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Task statuses after which nothing changes any more (the events stream ends there). */
const FINAL_TASK_STATUSES: ReadonlySet<string> = new Set<TaskStatus>(['succeeded', 'failed', 'cancelled']);
/** Job statuses after which the job does not run again. */
const FINAL_JOB_STATUSES: ReadonlySet<string> = new Set<JobStatus>(['succeeded', 'failed', 'dead', 'cancelled']);

export function normalizeStatus(status: string | null | undefined): string {
  return (status ?? '').trim().toLowerCase();
}

export function isFinalTaskStatus(status: string | null | undefined): boolean {
  return FINAL_TASK_STATUSES.has(normalizeStatus(status));
}

export function isFinalJobStatus(status: string | null | undefined): boolean {
  return FINAL_JOB_STATUSES.has(normalizeStatus(status));
}

export interface Job {
  readonly id: string;
  readonly type: string;
  readonly input: string;
  readonly status: string;
  readonly attempts: number;
  readonly result: string | null;
  readonly error: string | null;
}

/** GET /api/tasks/{id}, the events stream's `task` event (its first and last), and the answers of POST and DELETE. */
export interface Task {
  readonly id: string;
  readonly status: string;
  readonly goal: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly jobs: readonly Job[];
}

/** The fields of a job that change while it runs: its part of a `change` event. */
export type JobChange = Pick<Job, 'id' | 'status' | 'attempts' | 'result' | 'error'>;

/** The events stream's `change` event: the task's status and time, and only the jobs that changed since the last event. */
export interface TaskChange {
  readonly status: string;
  readonly updatedAt: string;
  readonly jobs: readonly JobChange[];
}

/** The task after a `change` event: its jobs matched by id; a job the change does not name stays as it was. */
export function applyTaskChange(task: Task, change: TaskChange): Task {
  const changed = new Map(change.jobs.map((job) => [job.id, job]));
  return {
    ...task,
    status: change.status,
    updatedAt: change.updatedAt,
    jobs: task.jobs.map((job) => {
      const update = changed.get(job.id);
      return update ? { ...job, status: update.status, attempts: update.attempts, result: update.result, error: update.error } : job;
    }),
  };
}

/** An item of GET /api/tasks: a task without its jobs, with counts instead. */
export interface TaskSummary {
  readonly id: string;
  readonly status: string;
  readonly goal: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly jobCount: number;
  readonly completedJobs: number;
}

export interface TaskPage {
  readonly items: readonly TaskSummary[];
  readonly page: number;
  readonly pageSize: number;
  /** Counted up to 10,000 (the newest tasks pages reach); beyond, `totalExact` is false. */
  readonly total: number;
  readonly totalExact?: boolean;
}

export interface NewJob {
  readonly type: string;
  readonly input: string;
}

/** POST /api/tasks: either explicit jobs or a goal. */
export type CreateTaskRequest = { readonly jobs: readonly NewJob[] } | { readonly goal: string };

export interface TaskQuery {
  readonly status?: string;
  readonly page?: number;
  readonly pageSize?: number;
}

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

export interface ChatRequest {
  readonly conversationId: string | null;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
}

export interface ChatResponse {
  readonly conversationId: string;
  readonly provider: string;
  readonly message: ChatMessage;
  /** Present (true) only when the reply was cut at a chat message's size. */
  readonly truncated?: boolean;
}

/** A message as chat stores it. */
export interface StoredChatMessage extends ChatMessage {
  readonly createdAt: string;
}

/** GET /api/chat/conversations/{id}. */
export interface Conversation {
  readonly id: string;
  readonly createdAt: string;
  /** Its last 100 messages at most, oldest first. */
  readonly messages: readonly StoredChatMessage[];
  /** How many it holds in all. */
  readonly messageCount: number;
}

/** An item of GET /api/chat/conversations; title is the start of its first user message. */
export interface ConversationSummary {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly messageCount: number;
}

export interface ConversationPage {
  readonly items: readonly ConversationSummary[];
  readonly page: number;
  readonly pageSize: number;
  /** Counted up to 10,000, as for tasks. */
  readonly total: number;
  readonly totalExact?: boolean;
}

/** RFC 9457 problem details, as every service answers errors; `errors` on 422 is keyed by field path (`jobs[0].type`). */
export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: Readonly<Record<string, readonly string[]>>;
  /** The service behind the gateway that failed (a 502 or 504 of the gateway about it). */
  readonly service?: string;
}

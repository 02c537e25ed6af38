// The new-task form's draft, kept in sessionStorage while it is typed, so a reload (or a look at another page and
// back) does not lose it (helper-136); forgotten once the task is created. Per tab, as sessionStorage is; storage may be
// unavailable or full (a draft of many large inputs): then the draft is simply not kept.

import type { FormMode } from './taskForm';

const KEY = 'agentsystem.task-draft';

export interface SavedDraft {
  readonly mode: FormMode;
  readonly goal: string;
  readonly jobs: readonly { readonly type: string; readonly input: string }[];
}

export function savedDraft(): SavedDraft | null {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return isDraft(value) ? value : null;
  } catch {
    return null;
  }
}

export function saveDraft(draft: SavedDraft | null): void {
  try {
    if (draft === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, JSON.stringify(draft));
  } catch {
    // not kept: nothing else to do
  }
}

/** What an older build, or a hand, left there is ignored unless it has the draft's shape. */
function isDraft(value: unknown): value is SavedDraft {
  if (typeof value !== 'object' || value === null) return false;
  const draft = value as Record<string, unknown>;
  return (
    (draft.mode === 'goal' || draft.mode === 'jobs') &&
    typeof draft.goal === 'string' &&
    Array.isArray(draft.jobs) &&
    draft.jobs.length > 0 &&
    draft.jobs.every((job: unknown) => typeof job === 'object' && job !== null && typeof (job as Record<string, unknown>).type === 'string' && typeof (job as Record<string, unknown>).input === 'string')
  );
}

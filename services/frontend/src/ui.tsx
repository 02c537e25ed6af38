// Small shared pieces: status badges, job outcome bars, ids, dates, error boxes, the keys that send a form.

import { useEffect, useState, type KeyboardEvent, type ReactNode } from 'react';
import { describeError, isNetworkError, isUnreachable, unavailableService } from './api';
import { normalizeStatus } from './types';

interface StatusBadgeProps {
  readonly status: string;
  readonly testId?: string;
}

/** The status as a coloured badge; the word itself carries the meaning (colour is only a second cue). */
export function StatusBadge({ status, testId }: StatusBadgeProps) {
  const normalized = normalizeStatus(status) || 'unknown';
  return (
    <span className={`badge badge-${cssName(normalized)}`} data-testid={testId} data-status={normalized}>
      {normalized}
    </span>
  );
}

function cssName(status: string): string {
  return status.replace(/[^a-z]/g, '');
}

export interface Segment {
  /** A job status (`succeeded`, `failed`, `cancelled`, ...) or `done` for finished jobs of unknown outcome. */
  readonly status: string;
  readonly count: number;
}

/** Order of the segments in a bar: what went well first, then what did not, then what is still going. */
const SEGMENT_ORDER = ['succeeded', 'done', 'failed', 'dead', 'cancelled', 'running'];

/** A task's jobs counted by status, in bar order; queued jobs are the empty rest of the bar. */
export function segmentsOf(statuses: readonly string[]): Segment[] {
  const counts = new Map<string, number>();
  for (const status of statuses) {
    const normalized = normalizeStatus(status);
    if (normalized !== 'queued') counts.set(normalized, (counts.get(normalized) ?? 0) + 1);
  }
  const rank = (status: string) => (SEGMENT_ORDER.includes(status) ? SEGMENT_ORDER.indexOf(status) : SEGMENT_ORDER.length);
  return [...counts].map(([status, count]) => ({ status, count })).sort((a, b) => rank(a.status) - rank(b.status));
}

interface OutcomeBarProps {
  readonly segments: readonly Segment[];
  readonly total: number;
  /** Jobs that will not run again; the `done/total` text. */
  readonly finished: number;
  readonly testId?: string;
  /** Words after the numbers, e.g. "2 succeeded, 1 failed". */
  readonly summary?: string;
}

/**
 * Jobs as a bar of coloured segments (succeeded green, failed red, cancelled amber and hatched, running blue), so a
 * failed or cancelled task never looks like a success; the text and the accessible name say the same in words.
 */
export function OutcomeBar({ segments, total, finished, testId, summary }: OutcomeBarProps) {
  const safeTotal = Math.max(0, total);
  const safeFinished = Math.min(Math.max(0, finished), safeTotal);
  const words = summary ?? segments.map((s) => `${s.count} ${s.status}`).join(', ');
  return (
    <span className="progress" data-testid={testId}>
      <span
        className="bar"
        role="progressbar"
        aria-label="Jobs finished"
        aria-valuemin={0}
        aria-valuemax={safeTotal}
        aria-valuenow={safeFinished}
        aria-valuetext={`${safeFinished} of ${safeTotal} jobs finished${words ? `: ${words}` : ''}`}
      >
        {safeTotal > 0 &&
          segments
            .filter((s) => s.count > 0)
            .map((s) => (
              <span
                key={s.status}
                className={`bar-segment segment-${cssName(s.status)}`}
                style={{ width: `${(Math.min(s.count, safeTotal) / safeTotal) * 100}%` }}
                data-testid="progress-segment"
                data-status={s.status}
                data-count={s.count}
                title={`${s.count} ${s.status}`}
              />
            ))}
      </span>
      <span className="progress-text">
        {safeFinished}/{safeTotal}
      </span>
      {summary !== undefined && summary !== '' && (
        <span className="progress-summary" data-testid="job-counts">
          {summary}
        </span>
      )}
    </span>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

/**
 * The end of an id. Ids are time-ordered (UUIDv7: the first 12 hex digits are the creation time in ms), so tasks made
 * together share their start; the random end tells them apart.
 */
export function idTail(id: string, length = 8): string {
  return id.length > length ? `…${id.slice(-length)}` : id;
}

/** The keys that send a form from any of its text boxes, as `aria-keyshortcuts` names them. */
export const SEND_KEYS = 'Control+Enter Meta+Enter';

/**
 * Whether a key pressed in a text box sends its form: Ctrl+Enter, or Cmd+Enter on macOS, in every one (Enter alone
 * starts a new line); with `enterSends`, as in the chat's box, Enter alone too, Shift+Enter staying a new line. Never
 * while an input method composes: that Enter picks the word.
 */
export function sendsForm(event: KeyboardEvent, enterSends = false): boolean {
  if (event.key !== 'Enter' || event.nativeEvent.isComposing) return false;
  return event.ctrlKey || event.metaKey || (enterSends && !event.shiftKey);
}

interface CopyButtonProps {
  readonly text: string;
  readonly label: string;
  readonly testId?: string;
}

/** Copies text to the clipboard; absent where the page may not write it (plain http on another host than localhost). */
export function CopyButton({ text, label, testId }: CopyButtonProps) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  if (typeof navigator === 'undefined' || navigator.clipboard === undefined) return null;
  return (
    <button
      type="button"
      className="copy"
      aria-label={label}
      title={label}
      onClick={() => navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false))}
      data-testid={testId}
    >
      {copied ? 'copied' : 'copy'}
    </button>
  );
}

interface ErrorBoxProps {
  readonly error: unknown;
  readonly testId?: string;
  readonly children?: ReactNode;
}

/**
 * An alert explaining a failed call: no answer (from the server or, through it, the gateway) reads as unreachable; a
 * service behind the gateway that failed to answer it, as unavailable.
 */
export function ErrorBox({ error, testId, children }: ErrorBoxProps) {
  const unreachable = isUnreachable(error);
  const service = unavailableService(error);
  return (
    <div
      className={`alert ${unreachable || service !== undefined ? 'alert-unreachable' : 'alert-error'}`}
      role="alert"
      data-testid={testId}
      data-service={service}
    >
      <strong>{unreachable ? 'Gateway unreachable' : service !== undefined ? 'Service unavailable' : 'Request failed'}</strong>
      <p>
        {isNetworkError(error)
          ? `No answer from the server (${(error as Error).message}). Is the system running?`
          : describeError(error)}
      </p>
      {children}
    </div>
  );
}

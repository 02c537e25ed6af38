// Small shared pieces: status badges, job progress, dates, error boxes.

import type { ReactNode } from 'react';
import { describeError, isNetworkError } from './api';
import { normalizeStatus } from './types';

interface StatusBadgeProps {
  readonly status: string;
  readonly testId?: string;
}

/** The status as a coloured badge; the word itself carries the meaning (colour is only a second cue). */
export function StatusBadge({ status, testId }: StatusBadgeProps) {
  const normalized = normalizeStatus(status) || 'unknown';
  return (
    <span className={`badge badge-${normalized.replace(/[^a-z]/g, '')}`} data-testid={testId} data-status={normalized}>
      {normalized}
    </span>
  );
}

interface ProgressProps {
  readonly done: number;
  readonly total: number;
  readonly testId?: string;
}

export function JobProgress({ done, total, testId }: ProgressProps) {
  const safeTotal = Math.max(0, total);
  const safeDone = Math.min(Math.max(0, done), safeTotal);
  return (
    <span className="progress" data-testid={testId}>
      <progress max={safeTotal || 1} value={safeTotal === 0 ? 0 : safeDone} aria-label={`${safeDone} of ${safeTotal} jobs done`} />
      <span className="progress-text">
        {safeDone}/{safeTotal}
      </span>
    </span>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

interface ErrorBoxProps {
  readonly error: unknown;
  readonly gatewayUrl?: string;
  readonly testId?: string;
  readonly children?: ReactNode;
}

/** An alert explaining a failed call; a network failure reads as "gateway unreachable", with the address. */
export function ErrorBox({ error, gatewayUrl, testId, children }: ErrorBoxProps) {
  const unreachable = isNetworkError(error);
  return (
    <div className={`alert ${unreachable ? 'alert-unreachable' : 'alert-error'}`} role="alert" data-testid={testId}>
      <strong>{unreachable ? 'Gateway unreachable' : 'Request failed'}</strong>
      <p>
        {unreachable
          ? `No answer from ${gatewayUrl ?? 'the gateway'} (${(error as Error).message}). Is the system running, and is GATEWAY_URL right?`
          : describeError(error)}
      </p>
      {children}
    </div>
  );
}

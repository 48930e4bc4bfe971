'use client';
/** Loading, empty and error states, the same on every page. */
import type { ReactNode } from 'react';
import { explainError } from '../lib/errors';
import { Button } from './button';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({
  icon = '∅',
  title,
  children,
  action,
}: {
  icon?: string;
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h3>{title}</h3>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

/** An error in plain words: what happened (the server's message) and what to do. */
export function ErrorNotice({
  error,
  onRetry,
  title,
  advice,
}: {
  error: unknown;
  onRetry?: (() => void) | undefined;
  title?: string | undefined;
  /** What to do, when the page knows better than the error's kind. */
  advice?: string | undefined;
}) {
  const explained = explainError(error);
  return (
    <div className="notice notice-danger" role="alert" data-testid="error-notice">
      <strong>{title ?? explained.title}</strong>
      <p>{explained.message}</p>
      <p className="advice">{advice ?? explained.advice}</p>
      {onRetry ? (
        <div className="actions">
          <Button size="sm" onClick={onRetry}>
            Try again
          </Button>
        </div>
      ) : null}
    </div>
  );
}

import type { SyncState } from '@tandem/client-sdk';
import { formatTime } from '../format.js';

function headline(state: SyncState): string {
  switch (state.status) {
    case 'syncing':
      return 'Syncing…';
    case 'offline':
      return 'Offline';
    case 'error':
      return 'Sync failed';
    case 'idle':
      return state.pending > 0 ? 'Waiting to sync' : 'Synced';
  }
}

/**
 * A dataset's `state`, as a user wants to see it: is my data safe, and is it everywhere yet?
 * `pending` counts local changes the server has not acknowledged; they are kept on this device
 * (offline, or after an error) and go out with the next sync.
 */
export function SyncStatus({ name, state }: { name: string; state: SyncState | null }) {
  if (!state) return <p className="sync-status">Opening…</p>;
  const { status, pending, error, lastSyncedAt, syncCount } = state;
  return (
    <div
      className="sync-status"
      data-testid={`sync-${name}`}
      data-status={status}
      data-pending={pending}
      data-sync-count={syncCount}
    >
      <p className="sync-headline" role="status">
        <span className="sync-dot" aria-hidden="true" />
        <strong>{headline(state)}</strong>
        {pending > 0 && (
          <span className="badge badge-pending">
            {pending} {pending === 1 ? 'change' : 'changes'} not synced
          </span>
        )}
      </p>
      <p className="sync-meta">
        Last synced {formatTime(lastSyncedAt)} · sync count{' '}
        <span data-testid={`sync-count-${name}`}>{syncCount}</span>
      </p>
      {error && status !== 'idle' && status !== 'syncing' && (
        <p className="sync-error">{error.message}</p>
      )}
    </div>
  );
}

/** Marks one record with a local change the server has not acknowledged (`isModified(key)`). */
export function NotSynced() {
  return (
    <span
      className="badge badge-pending"
      data-testid="not-synced"
      title="Saved on this device, not on the server yet"
    >
      Not synced
    </span>
  );
}

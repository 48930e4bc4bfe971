/**
 * Console edits to a dataset are staged, not sent: like Cognito's console, nothing reaches the
 * server until Synchronize, and nothing reaches a device until it syncs too.
 *
 * A staged change remembers the record as the console saw it when the change was first staged
 * (`before`, `baseSyncCount`). Synchronize sends every change as one UpdateRecords whose
 * patches carry `baseSyncCount`, so a device write that landed after the change was staged
 * makes the server refuse the whole request (409) instead of being overwritten. Editing a
 * staged change again keeps its base for the same reason.
 *
 * Staged changes live in localStorage, one entry per pool, identity and dataset, so a reload
 * or another tab keeps them.
 */
import { useCallback, useSyncExternalStore } from 'react';

export interface StagedChange {
  key: string;
  op: 'replace' | 'remove';
  /** The new value (replace); null for remove. */
  value: string | null;
  /** The live value when first staged; null when there was no live record (an add). */
  before: string | null;
  /** The record's sync count when first staged: 0 for a key never written, a tombstone's count. */
  baseSyncCount: number;
  stagedAt: number;
}

export type ChangeKind = 'add' | 'edit' | 'remove';

export const kindOf = (change: StagedChange): ChangeKind =>
  change.op === 'remove' ? 'remove' : change.before === null ? 'add' : 'edit';

/** The server's state of one key: live, a tombstone (value null), or absent (syncCount 0). */
export interface ServerRecord {
  key: string;
  value: string | null;
  syncCount: number;
  lastModifiedBy: string | null;
  lastModifiedDate: number;
}

/** The staged change for `change.key` after staging `change` (null: nothing left to send). */
export function stage(list: StagedChange[], change: StagedChange): StagedChange[] {
  const existing = list.find((item) => item.key === change.key);
  const rest = list.filter((item) => item.key !== change.key);
  if (!existing) return [...rest, change];
  // Removing a record that only exists as a staged add: nothing to send.
  if (change.op === 'remove' && existing.before === null) return rest;
  const merged: StagedChange = {
    ...change,
    before: existing.before,
    baseSyncCount: existing.baseSyncCount,
  };
  // Back to exactly what the server had: nothing to send either.
  if (merged.op === 'replace' && merged.before !== null && merged.value === merged.before) {
    return rest;
  }
  return [...rest, merged];
}

/** The patches of one UpdateRecords, each with the sync count its change was staged on. */
export function toPatches(list: StagedChange[]) {
  return list.map((change) =>
    change.op === 'remove'
      ? { op: 'remove' as const, key: change.key, syncCount: change.baseSyncCount }
      : {
          op: 'replace' as const,
          key: change.key,
          value: change.value ?? '',
          syncCount: change.baseSyncCount,
        },
  );
}

export interface Conflict {
  change: StagedChange;
  /** What the server has now (a device wrote it after the change was staged). */
  server: ServerRecord;
}

/** Staged changes whose record moved on the server since they were staged. */
export function findConflicts(
  list: StagedChange[],
  server: ReadonlyMap<string, ServerRecord>,
): Conflict[] {
  return list.flatMap((change) => {
    const current = server.get(change.key) ?? {
      key: change.key,
      value: null,
      syncCount: 0,
      lastModifiedBy: null,
      lastModifiedDate: 0,
    };
    return current.syncCount === change.baseSyncCount ? [] : [{ change, server: current }];
  });
}

/** Keep the admin's change, now based on the server's current record (overwrites it). */
export function rebase(change: StagedChange, server: ServerRecord): StagedChange | null {
  const before = server.value;
  if (change.op === 'remove' && before === null) return null; // already gone
  return { ...change, before, baseSyncCount: server.syncCount };
}

// ——— persistence ———

const PREFIX = 'tandem-console:staged:v1:';
const storageKey = (poolId: string, identityId: string, datasetName: string) =>
  `${PREFIX}${poolId}|${identityId}|${datasetName}`;

const listeners = new Set<() => void>();
const cache = new Map<string, { raw: string | null; value: StagedChange[] }>();
const EMPTY: StagedChange[] = [];

function read(key: string): StagedChange[] {
  const raw = window.localStorage.getItem(key);
  const cached = cache.get(key);
  if (cached && cached.raw === raw) return cached.value;
  let value: StagedChange[] = EMPTY;
  try {
    const parsed = raw ? (JSON.parse(raw) as { changes?: StagedChange[] }) : null;
    if (Array.isArray(parsed?.changes)) value = parsed.changes;
  } catch {
    // unreadable: treat as none
  }
  cache.set(key, { raw, value });
  return value;
}

function write(key: string, changes: StagedChange[]) {
  if (changes.length === 0) window.localStorage.removeItem(key);
  else window.localStorage.setItem(key, JSON.stringify({ changes }));
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

/** The staged changes of one dataset, persisted in localStorage and shared across tabs. */
export function useStagedChanges(poolId: string, identityId: string, datasetName: string) {
  const key = storageKey(poolId, identityId, datasetName);
  const changes = useSyncExternalStore(
    subscribe,
    () => read(key),
    () => EMPTY,
  );
  const update = useCallback(
    (next: (current: StagedChange[]) => StagedChange[]) => write(key, next(read(key))),
    [key],
  );
  return { changes, update };
}

/** Datasets of an identity with staged changes (some may not exist on the server yet). */
export function useStagedDatasets(poolId: string, identityId: string): Map<string, number> {
  const prefix = storageKey(poolId, identityId, '');
  const snapshot = useSyncExternalStore(
    subscribe,
    () => {
      const entries: string[] = [];
      for (let i = 0; i < window.localStorage.length; i++) {
        const key = window.localStorage.key(i);
        if (key?.startsWith(prefix))
          entries.push(`${key.slice(prefix.length)}\u0000${read(key).length}`);
      }
      return entries.sort().join('\u0001');
    },
    () => '',
  );
  return new Map(
    snapshot
      ? snapshot.split('\u0001').map((entry) => {
          const [name, count] = entry.split('\u0000');
          return [name ?? '', Number(count)] as const;
        })
      : [],
  );
}

/** Forget the staged changes of a dataset (after it was deleted). */
export function clearStaged(poolId: string, identityId: string, datasetName: string) {
  write(storageKey(poolId, identityId, datasetName), []);
}

/**
 * React bindings for the SDK. Everything a dataset knows is readable synchronously (it keeps an
 * in-memory copy of the local store), and it emits `change` and `state` events, so these are
 * thin `useSyncExternalStore` wrappers.
 */
import type { Dataset, Session, SyncState } from '@tandem/client-sdk';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { useTandem } from './context.js';

/** The current session (guest or account), or null between sign-out and the next guest. */
export function useSession(): Session | null {
  const { client } = useTandem();
  const subscribe = useCallback((onChange: () => void) => client.on('session', onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.currentSession);
}

/** This device's identity in the pool. It changes when a guest signs in to an existing account. */
export function useIdentityId(): string | null {
  const { client } = useTandem();
  const subscribe = useCallback(
    (onChange: () => void) => client.on('identity', onChange),
    [client],
  );
  return useSyncExternalStore(subscribe, () => client.identityId);
}

/**
 * Opens a dataset of the current identity, with this app's callbacks. `client.dataset()` returns
 * the same object for the same name and reloads it when the identity changes on sign-in; after a
 * sign-out the client forgets its datasets, and the next identity gets new ones.
 */
export function useDataset(name: string): Dataset | null {
  const { client, callbacksFor } = useTandem();
  const identityId = useIdentityId();
  const [opened, setOpened] = useState<{ identityId: string; dataset: Dataset } | null>(null);
  useEffect(() => {
    if (!identityId) return;
    let current = true;
    client.dataset(name, callbacksFor(name)).then(
      (dataset) => {
        if (current) setOpened({ identityId, dataset });
      },
      () => undefined, // signed out meanwhile: the next identity opens it again
    );
    return () => {
      current = false;
    };
  }, [client, callbacksFor, identityId, name]);
  return opened?.identityId === identityId ? opened.dataset : null;
}

/** What a list shows per record. */
export interface RecordItem {
  key: string;
  value: string;
  /** A local change the server has not acknowledged yet (`dataset.isModified(key)`). */
  modified: boolean;
  /** When it was last changed, on whichever device (ms since epoch). */
  modifiedAt: number;
}

const EMPTY: readonly RecordItem[] = [];

const sameItems = (a: readonly RecordItem[], b: readonly RecordItem[]) =>
  a.length === b.length &&
  a.every((item, i) => {
    const other = b[i]!;
    return (
      item.key === other.key &&
      item.value === other.value &&
      item.modified === other.modified &&
      item.modifiedAt === other.modifiedAt
    );
  });

/** The last snapshot per dataset: useSyncExternalStore needs the same object while nothing changed. */
const snapshots = new WeakMap<Dataset, readonly RecordItem[]>();

function readRecords(dataset: Dataset | null): readonly RecordItem[] {
  if (!dataset) return EMPTY;
  const items: RecordItem[] = dataset.getAllRecords().map((record) => ({
    key: record.key,
    value: record.value ?? '',
    modified: dataset.isModified(record.key),
    modifiedAt: record.deviceLastModifiedDate,
  }));
  const previous = snapshots.get(dataset);
  if (previous && sameItems(items, previous)) return previous;
  snapshots.set(dataset, items);
  return items;
}

/**
 * The dataset's live records, re-rendering on every `change` event: local writes, syncs, and
 * writes from other tabs. Removed keys (tombstones) are not listed.
 */
export function useRecords(dataset: Dataset | null): readonly RecordItem[] {
  const subscribe = useCallback(
    (onChange: () => void) => dataset?.on('change', onChange) ?? (() => undefined),
    [dataset],
  );
  return useSyncExternalStore(subscribe, () => readRecords(dataset));
}

/** `dataset.state`: status, pending count, last error, last synced, sync count. */
export function useSyncState(dataset: Dataset | null): SyncState | null {
  const subscribe = useCallback(
    (onChange: () => void) => dataset?.on('state', onChange) ?? (() => undefined),
    [dataset],
  );
  // The SDK replaces the state object on every change, so it can be returned as it is.
  return useSyncExternalStore(subscribe, () => dataset?.state ?? null);
}

/**
 * The device's local cache. Every read and write of the app goes here first; synchronize()
 * reconciles it with the server. Adapters: memory, IndexedDB (browser, service worker), file
 * (Node, `@tandem/client-sdk/node`).
 *
 * Data is grouped by namespace (the identity id, so two users of one browser never share data)
 * and dataset. All decisions that depend on the current local state (is this key modified? did
 * the user edit it while a sync was in flight?) run inside `transact`, which sees a consistent
 * view and commits its writes atomically. That is what keeps writes from being lost when the
 * app, another tab and a sync touch one dataset at the same time.
 */

/** A record as this device knows it. */
export interface LocalRecord {
  key: string;
  /** `null`: removed (a tombstone, kept so the device knows the key's sync count). */
  value: string | null;
  /** The server's sync count of the key as last seen here; 0 if the server never had it. */
  syncCount: number;
  lastModifiedDate: number;
  lastModifiedBy: string | null;
  /** When a device (this one, for local edits) last changed the value. Drives "newest wins". */
  deviceLastModifiedDate: number;
  /** A local change not yet acknowledged by the server. */
  modified: boolean;
  /** Bumped from the dataset's clock on every local edit, to detect edits made during a sync. */
  localVersion: number;
  /**
   * What the last push sent for this key, until the server's answer is applied. If the answer is
   * lost (crash, network), the next pull recognises the write as this device's own.
   */
  pushed: PushedSnapshot | null;
}

export interface PushedSnapshot {
  value: string | null;
  deviceLastModifiedDate: number;
  localVersion: number;
  /**
   * The dataset sync count the push was made on. If the answer is lost and the key was
   * overwritten since, the server says whether this device wrote after it, i.e. whether the
   * push committed (`record.lastDeviceWrite`).
   */
  afterSyncCount: number;
}

export interface DatasetMeta {
  name: string;
  /** The dataset sync count this device has fully applied; 0 = never synced. */
  lastSyncCount: number;
  /** Source of `localVersion`s. */
  localClock: number;
  /** The app deleted the dataset here; the next sync deletes it on the server. */
  pendingDelete: boolean;
  lastSyncedAt: number | null;
}

/** What a transaction sees: the dataset's metadata and the records it asked for. */
export interface DatasetView {
  meta: DatasetMeta | null;
  records: ReadonlyMap<string, LocalRecord>;
}

/** What a transaction writes. `meta: null` forgets the dataset and all its records. */
export interface DatasetWrites {
  meta?: DatasetMeta | null;
  put?: readonly LocalRecord[];
  delete?: readonly string[];
}

export interface TransactResult<T> {
  result: T;
  writes?: DatasetWrites;
}

/** Which records a transaction reads: some keys, or the whole dataset. */
export type KeySelection = readonly string[] | 'all';

export interface LocalStore {
  readonly kind: string;
  /** Small settings (session token, device id, identity id). */
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string | null): Promise<void>;
  listDatasets(namespace: string): Promise<DatasetMeta[]>;
  read(namespace: string, dataset: string, keys: KeySelection): Promise<DatasetView>;
  /**
   * Reads the selection, calls `fn` synchronously with it and commits what it returns in one
   * atomic step. `fn` must not await: the view is only consistent for that one call.
   */
  transact<T>(
    namespace: string,
    dataset: string,
    keys: KeySelection,
    fn: (view: DatasetView) => TransactResult<T>,
  ): Promise<T>;
  /** Forgets every dataset of a namespace (used when a guest's data has moved to an account). */
  dropNamespace(namespace: string): Promise<void>;
  close(): Promise<void>;
}

export const newDatasetMeta = (name: string): DatasetMeta => ({
  name,
  lastSyncCount: 0,
  localClock: 0,
  pendingDelete: false,
  lastSyncedAt: null,
});

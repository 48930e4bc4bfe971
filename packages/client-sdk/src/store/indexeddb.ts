/// <reference lib="dom" />
// (Node-side consumers typecheck this source too; the browser types it uses come from lib.dom.)
/**
 * IndexedDB store for browsers and service workers. All tabs of a profile (and its service
 * worker) share one database, so they are one device: what one tab writes, the others read.
 *
 * `transact` runs its read and its writes in one readwrite transaction. IndexedDB keeps a
 * transaction open while its own requests are pending, and only that long; the callback is
 * synchronous by contract, so nothing can await something else in between.
 */
import type {
  DatasetMeta,
  DatasetView,
  KeySelection,
  LocalRecord,
  LocalStore,
  TransactResult,
} from './types.js';

const VERSION = 1;
const RECORDS = 'records';
const DATASETS = 'datasets';
const ITEMS = 'items';

interface StoredRecord extends LocalRecord {
  ns: string;
  ds: string;
}
interface StoredMeta extends DatasetMeta {
  ns: string;
}

export interface IndexedDbStoreOptions {
  /** Database name (default `tandem`). One per app, or per test. */
  name?: string;
  /** The IndexedDB factory (default `globalThis.indexedDB`); Node tests pass fake-indexeddb's. */
  indexedDB?: IDBFactory;
  /** Its key-range class (default `globalThis.IDBKeyRange`); pass fake-indexeddb's with its factory. */
  IDBKeyRange?: typeof IDBKeyRange;
}

const promised = <T>(request: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const done = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });

const strip = ({ ns: _ns, ds: _ds, ...record }: StoredRecord): LocalRecord => record;
const stripMeta = ({ ns: _ns, ...meta }: StoredMeta): DatasetMeta => meta;

class IndexedDbStore implements LocalStore {
  readonly kind = 'indexeddb';

  constructor(
    private readonly db: IDBDatabase,
    private readonly keyRange: typeof IDBKeyRange,
  ) {
    // Another tab upgrading the schema: let it, and fail this one's next call loudly.
    db.onversionchange = () => db.close();
  }

  /** Keys [ns, ds, ''] up to [ns, ds, []]: one dataset's records (arrays sort after strings). */
  private datasetRange(ns: string, ds: string) {
    return this.keyRange.bound([ns, ds, ''], [ns, ds, []]);
  }

  async getItem(key: string) {
    const tx = this.db.transaction(ITEMS, 'readonly');
    const row = (await promised(tx.objectStore(ITEMS).get(key))) as
      { key: string; value: string } | undefined;
    return row?.value ?? null;
  }

  async setItem(key: string, value: string | null) {
    const tx = this.db.transaction(ITEMS, 'readwrite');
    const items = tx.objectStore(ITEMS);
    if (value === null) items.delete(key);
    else items.put({ key, value });
    await done(tx);
  }

  async listDatasets(namespace: string) {
    const tx = this.db.transaction(DATASETS, 'readonly');
    const range = this.keyRange.bound([namespace, ''], [namespace, []]);
    const rows = (await promised(tx.objectStore(DATASETS).getAll(range))) as StoredMeta[];
    return rows.map(stripMeta);
  }

  async read(namespace: string, dataset: string, keys: KeySelection) {
    const tx = this.db.transaction([DATASETS, RECORDS], 'readonly');
    return this.readIn(tx, namespace, dataset, keys);
  }

  async transact<T>(
    namespace: string,
    dataset: string,
    keys: KeySelection,
    fn: (view: DatasetView) => TransactResult<T>,
  ): Promise<T> {
    const tx = this.db.transaction([DATASETS, RECORDS], 'readwrite');
    const committed = done(tx);
    let result: T;
    try {
      const view = await this.readIn(tx, namespace, dataset, keys);
      const outcome = fn(view);
      result = outcome.result;
      const writes = outcome.writes;
      const metas = tx.objectStore(DATASETS);
      const records = tx.objectStore(RECORDS);
      if (writes?.meta === null) {
        metas.delete([namespace, dataset]);
        records.delete(this.datasetRange(namespace, dataset));
      } else if (writes) {
        if (writes.meta) metas.put({ ...writes.meta, ns: namespace } satisfies StoredMeta);
        for (const key of writes.delete ?? []) records.delete([namespace, dataset, key]);
        for (const record of writes.put ?? []) {
          records.put({ ...record, ns: namespace, ds: dataset } satisfies StoredRecord);
        }
      }
    } catch (error) {
      tx.abort();
      await committed.catch(() => undefined);
      throw error;
    }
    await committed;
    return result;
  }

  async dropNamespace(namespace: string) {
    const tx = this.db.transaction([DATASETS, RECORDS], 'readwrite');
    tx.objectStore(DATASETS).delete(this.keyRange.bound([namespace, ''], [namespace, []]));
    tx.objectStore(RECORDS).delete(this.keyRange.bound([namespace, '', ''], [namespace, [], []]));
    await done(tx);
  }

  async close() {
    this.db.close();
  }

  private async readIn(
    tx: IDBTransaction,
    namespace: string,
    dataset: string,
    keys: KeySelection,
  ): Promise<DatasetView> {
    const recordStore = tx.objectStore(RECORDS);
    const [meta, rows] = await Promise.all([
      promised(tx.objectStore(DATASETS).get([namespace, dataset])) as Promise<
        StoredMeta | undefined
      >,
      keys === 'all'
        ? (promised(recordStore.getAll(this.datasetRange(namespace, dataset))) as Promise<
            StoredRecord[]
          >)
        : Promise.all(
            keys.map(
              (key) =>
                promised(recordStore.get([namespace, dataset, key])) as Promise<
                  StoredRecord | undefined
                >,
            ),
          ),
    ]);
    const records = new Map<string, LocalRecord>();
    for (const row of rows) if (row) records.set(row.key, strip(row));
    return { meta: meta ? stripMeta(meta) : null, records };
  }
}

/** Opens (creating or upgrading) the IndexedDB database. */
export async function indexedDbStore(options: IndexedDbStoreOptions = {}): Promise<LocalStore> {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available here; pass options.indexedDB');
  const request = factory.open(options.name ?? 'tandem', VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    db.createObjectStore(RECORDS, { keyPath: ['ns', 'ds', 'key'] });
    db.createObjectStore(DATASETS, { keyPath: ['ns', 'name'] });
    db.createObjectStore(ITEMS, { keyPath: 'key' });
  };
  const keyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
  return new IndexedDbStore(await promised(request), keyRange);
}

import type {
  DatasetMeta,
  DatasetView,
  DatasetWrites,
  KeySelection,
  LocalRecord,
  LocalStore,
  TransactResult,
} from './types.js';

interface DatasetSlot {
  meta: DatasetMeta | null;
  records: Map<string, LocalRecord>;
}

/** One committed transaction, as the file store journals it. */
export type StoreOp =
  | { op: 'kv'; key: string; value: string | null }
  | { op: 'commit'; ns: string; ds: string; writes: DatasetWrites }
  | { op: 'drop'; ns: string };

/**
 * Everything in memory: fast, and gone when the process ends. Records are treated as immutable
 * values (every write stores a new object), so views can hand them out without copying.
 */
export class MemoryStore implements LocalStore {
  readonly kind: string = 'memory';
  private readonly items = new Map<string, string>();
  private readonly namespaces = new Map<string, Map<string, DatasetSlot>>();

  async getItem(key: string) {
    return this.items.get(key) ?? null;
  }

  async setItem(key: string, value: string | null) {
    this.applyOp({ op: 'kv', key, value });
    await this.persist({ op: 'kv', key, value });
  }

  async listDatasets(namespace: string) {
    const datasets = this.namespaces.get(namespace);
    if (!datasets) return [];
    return [...datasets.values()].flatMap((slot) => (slot.meta ? [slot.meta] : []));
  }

  async read(namespace: string, dataset: string, keys: KeySelection) {
    return this.view(namespace, dataset, keys);
  }

  async transact<T>(
    namespace: string,
    dataset: string,
    keys: KeySelection,
    fn: (view: DatasetView) => TransactResult<T>,
  ): Promise<T> {
    // Synchronous from view to apply: nothing else can interleave in between.
    const { result, writes } = fn(this.view(namespace, dataset, keys));
    if (writes && (writes.meta !== undefined || writes.put?.length || writes.delete?.length)) {
      const op: StoreOp = { op: 'commit', ns: namespace, ds: dataset, writes };
      this.applyOp(op);
      await this.persist(op);
    }
    return result;
  }

  async dropNamespace(namespace: string) {
    this.applyOp({ op: 'drop', ns: namespace });
    await this.persist({ op: 'drop', ns: namespace });
  }

  async close() {}

  /** Durability hook for subclasses; runs after the change is visible in memory. */
  protected async persist(_op: StoreOp): Promise<void> {}

  protected applyOp(op: StoreOp) {
    switch (op.op) {
      case 'kv':
        if (op.value === null) this.items.delete(op.key);
        else this.items.set(op.key, op.value);
        return;
      case 'drop':
        this.namespaces.delete(op.ns);
        return;
      case 'commit': {
        const { writes } = op;
        if (writes.meta === null) {
          this.namespaces.get(op.ns)?.delete(op.ds);
          return;
        }
        const slot = this.slot(op.ns, op.ds);
        if (writes.meta) slot.meta = writes.meta;
        for (const key of writes.delete ?? []) slot.records.delete(key);
        for (const record of writes.put ?? []) slot.records.set(record.key, record);
        return;
      }
    }
  }

  /** Every op that rebuilds the current state; the file store compacts its journal with it. */
  protected snapshot(): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const [key, value] of this.items) ops.push({ op: 'kv', key, value });
    for (const [ns, datasets] of this.namespaces) {
      for (const [ds, slot] of datasets) {
        if (!slot.meta) continue;
        ops.push({
          op: 'commit',
          ns,
          ds,
          writes: { meta: slot.meta, put: [...slot.records.values()] },
        });
      }
    }
    return ops;
  }

  private slot(namespace: string, dataset: string): DatasetSlot {
    let datasets = this.namespaces.get(namespace);
    if (!datasets) this.namespaces.set(namespace, (datasets = new Map()));
    let slot = datasets.get(dataset);
    if (!slot) datasets.set(dataset, (slot = { meta: null, records: new Map() }));
    return slot;
  }

  private view(namespace: string, dataset: string, keys: KeySelection): DatasetView {
    const slot = this.namespaces.get(namespace)?.get(dataset);
    if (!slot) return { meta: null, records: new Map() };
    if (keys === 'all') return { meta: slot.meta, records: new Map(slot.records) };
    const records = new Map<string, LocalRecord>();
    for (const key of keys) {
      const record = slot.records.get(key);
      if (record) records.set(key, record);
    }
    return { meta: slot.meta, records };
  }
}

export const memoryStore = (): LocalStore => new MemoryStore();

import {
  MAX_DATASET_BYTES,
  MAX_RECORDS_PER_DATASET,
  recordKeySchema,
  recordValueSchema,
  utf8ByteLength,
} from '@tandem/sync-protocol';
import { Emitter } from './emitter.js';
import { TandemSyncError } from './errors.js';
import { newDatasetMeta, type LocalRecord, type LocalStore } from './store/types.js';
import type { SyncCallbacks, SyncResult } from './sync-engine.js';

export type SyncStatus = 'idle' | 'syncing' | 'offline' | 'error';

/** What a UI shows next to the data. */
export interface SyncState {
  status: SyncStatus;
  /** Local changes not yet on the server. */
  pending: number;
  /** Why the last sync failed (status `error` or `offline`), else null. */
  error: TandemSyncError | null;
  /** When a sync last completed (ms since epoch), on any tab. */
  lastSyncedAt: number | null;
  /** The server's dataset sync count this device has applied. */
  syncCount: number;
}

export interface DatasetChange {
  keys: string[];
  /** `local`: this tab wrote; `remote`: a sync brought it; `tab`: another tab of this device. */
  origin: 'local' | 'remote' | 'tab';
}

export interface DatasetEvents extends Record<string, unknown> {
  change: DatasetChange;
  state: SyncState;
}

/** What a Dataset needs from its client (kept narrow so the two can be read separately). */
export interface DatasetHost {
  store(): LocalStore;
  namespace(): string;
  now(): number;
  synchronize(dataset: Dataset, callbacks: SyncCallbacks | undefined): Promise<SyncResult>;
  localWrite(dataset: Dataset, keys: string[]): void;
}

const recordBytes = (record: LocalRecord) =>
  record.value === null ? 0 : utf8ByteLength(record.key) + utf8ByteLength(record.value);

/**
 * A dataset opened on this device. Reads are synchronous, from an in-memory copy of the local
 * store that is loaded when the dataset is opened and kept current by local writes, syncs and
 * other tabs. Writes go to the local store first and resolve once it holds them; the server
 * sees them on the next sync (automatic by default).
 */
export class Dataset {
  private records = new Map<string, LocalRecord>();
  /** Kept up to date as records change, so a write never rescans the dataset. */
  private totals = { live: 0, bytes: 0, pending: 0 };
  /**
   * Everything that reads the store and then updates the in-memory copy runs in turn, so a
   * slow read can never land after (and undo) a newer write.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private detached = false;

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = () => {
      if (this.detached) {
        return Promise.reject(
          new TandemSyncError('NotSignedIn', 'This dataset belonged to a session that ended'),
        );
      }
      return fn();
    };
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }
  private readonly events = new Emitter<DatasetEvents>();
  private currentState: SyncState = {
    status: 'idle',
    pending: 0,
    error: null,
    lastSyncedAt: null,
    syncCount: 0,
  };

  /** @internal Use `client.dataset(name)`. */
  constructor(
    readonly name: string,
    private readonly host: DatasetHost,
    /** Default callbacks for this dataset's syncs (automatic ones included). */
    public callbacks: SyncCallbacks | undefined,
  ) {}

  /** The value of `key`, or undefined if absent or removed. */
  get(key: string): string | undefined {
    return this.records.get(key)?.value ?? undefined;
  }

  /** Every live key and value. */
  getAll(): Record<string, string> {
    const all: Record<string, string> = {};
    for (const record of this.records.values()) {
      if (record.value !== null) all[record.key] = record.value;
    }
    return all;
  }

  /** Live records, tombstones excluded, with their sync metadata. */
  getAllRecords(): LocalRecord[] {
    return [...this.records.values()].filter((record) => record.value !== null);
  }

  /** Number of live records. */
  get size(): number {
    return this.totals.live;
  }

  /** UTF-8 bytes of keys and values, as the server counts them against its 1 MB limit. */
  get dataStorage(): number {
    return this.totals.bytes;
  }

  /** True while `key` has a local change the server has not acknowledged. */
  isModified(key: string): boolean {
    return this.records.get(key)?.modified ?? false;
  }

  get state(): SyncState {
    return this.currentState;
  }

  on<K extends keyof DatasetEvents>(name: K, listener: (event: DatasetEvents[K]) => void) {
    return this.events.on(name, listener);
  }

  async put(key: string, value: string): Promise<void> {
    await this.write([[key, value]]);
  }

  async remove(key: string): Promise<void> {
    await this.write([[key, null]]);
  }

  /** Several writes in one local transaction (all or none). */
  async putAll(values: Record<string, string | null>): Promise<void> {
    await this.write(Object.entries(values));
  }

  /**
   * Deletes the dataset here at once and on the server at the next sync. Writes made after this
   * start a new dataset of the same name.
   */
  delete(): Promise<void> {
    return this.serial(() => this.deleteNow());
  }

  private async deleteNow(): Promise<void> {
    const store = this.host.store();
    const keys = [...this.records.keys()];
    await store.transact(this.host.namespace(), this.name, 'all', (view) => ({
      result: undefined,
      writes: {
        meta: { ...(view.meta ?? newDatasetMeta(this.name)), pendingDelete: true },
        delete: [...view.records.keys()],
      },
    }));
    this.replaceAll(new Map());
    this.setState({ pending: 0 });
    this.emitChange(keys, 'local');
    this.host.localWrite(this, keys);
  }

  /**
   * Reconciles with the server now. Resolves with what happened; rejects with a
   * TandemSyncError (also given to `onFailure`). Callbacks given here replace the dataset's
   * defaults for this call.
   */
  synchronize(callbacks?: SyncCallbacks): Promise<SyncResult> {
    return this.host.synchronize(this, callbacks ?? this.callbacks);
  }

  private write(entries: Array<[string, string | null]>): Promise<void> {
    return this.serial(() => this.writeNow(entries));
  }

  private async writeNow(entries: Array<[string, string | null]>) {
    const now = this.host.now();
    for (const [key, value] of entries) {
      const keyCheck = recordKeySchema.safeParse(key);
      if (!keyCheck.success) {
        throw new TandemSyncError('InvalidParameterException', `Invalid record key: ${key}`);
      }
      if (value !== null && !recordValueSchema.safeParse(value).success) {
        throw new TandemSyncError(
          'InvalidParameterException',
          `Invalid value for ${key}: too long or not well-formed text`,
        );
      }
    }
    this.checkLimits(entries);
    const written = await this.host.store().transact(
      this.host.namespace(),
      this.name,
      entries.map(([key]) => key),
      (view) => {
        const meta = view.meta ?? newDatasetMeta(this.name);
        let clock = meta.localClock;
        const put: LocalRecord[] = [];
        for (const [key, value] of entries) {
          const current = view.records.get(key);
          if (current ? current.value === value : value === null) continue; // no change
          clock += 1;
          put.push({
            key,
            value,
            syncCount: current?.syncCount ?? 0,
            lastModifiedDate: now,
            lastModifiedBy: current?.lastModifiedBy ?? null,
            deviceLastModifiedDate: now,
            modified: true,
            localVersion: clock,
            pushed: current?.pushed ?? null,
          });
        }
        if (put.length === 0) return { result: put };
        return { result: put, writes: { meta: { ...meta, localClock: clock }, put } };
      },
    );
    if (written.length === 0) return;
    for (const record of written) this.setRecord(record.key, record);
    const keys = written.map((record) => record.key);
    this.setState({ pending: this.countPending() });
    this.emitChange(keys, 'local');
    this.host.localWrite(this, keys);
  }

  /** The server's limits, checked before writing so the app hears at once (spec §7.10). */
  private checkLimits(entries: Array<[string, string | null]>) {
    let count = this.size;
    let bytes = this.dataStorage;
    for (const [key, value] of entries) {
      const before = this.records.get(key);
      if (before && before.value !== null) {
        count -= 1;
        bytes -= recordBytes(before);
      }
      if (value !== null) {
        count += 1;
        bytes += utf8ByteLength(key) + utf8ByteLength(value);
      }
    }
    if (count > MAX_RECORDS_PER_DATASET) {
      throw new TandemSyncError(
        'LimitExceededException',
        `A dataset holds at most ${MAX_RECORDS_PER_DATASET} records`,
      );
    }
    if (bytes > MAX_DATASET_BYTES) {
      throw new TandemSyncError(
        'LimitExceededException',
        `A dataset holds at most ${MAX_DATASET_BYTES} bytes of keys and values`,
      );
    }
  }

  private countPending() {
    return this.totals.pending;
  }

  private account(record: LocalRecord | undefined, sign: 1 | -1) {
    if (!record) return;
    if (record.value !== null) this.totals.live += sign;
    this.totals.bytes += sign * recordBytes(record);
    if (record.modified) this.totals.pending += sign;
  }

  private setRecord(key: string, record: LocalRecord | undefined) {
    this.account(this.records.get(key), -1);
    this.account(record, 1);
    if (record) this.records.set(key, record);
    else this.records.delete(key);
  }

  private replaceAll(records: Map<string, LocalRecord>) {
    this.records = records;
    this.totals = { live: 0, bytes: 0, pending: 0 };
    for (const record of records.values()) this.account(record, 1);
  }

  private emitChange(keys: string[], origin: DatasetChange['origin']) {
    if (keys.length) this.events.emit('change', { keys, origin });
  }

  /** @internal Reloads the whole dataset from the store (on open, identity switch). */
  load(): Promise<void> {
    return this.serial(() => this.loadNow());
  }

  private async loadNow(): Promise<void> {
    const view = await this.host.store().read(this.host.namespace(), this.name, 'all');
    const before = new Set(this.records.keys());
    this.replaceAll(new Map(view.records));
    for (const key of this.records.keys()) before.add(key);
    this.setState({
      pending: this.countPending(),
      lastSyncedAt: view.meta?.lastSyncedAt ?? null,
      syncCount: view.meta?.lastSyncCount ?? 0,
    });
    this.emitChange([...before], 'remote');
  }

  /** @internal Re-reads the dataset's sync metadata (after a sync), without touching records. */
  refreshState(): Promise<void> {
    return this.serial(() => this.refreshStateNow());
  }

  private async refreshStateNow(): Promise<void> {
    const { meta } = await this.host.store().read(this.host.namespace(), this.name, []);
    this.setState({
      lastSyncedAt: meta?.lastSyncedAt ?? this.currentState.lastSyncedAt,
      syncCount: meta?.lastSyncCount ?? this.currentState.syncCount,
    });
  }

  /** @internal Re-reads `keys` after a sync or another tab changed them (none: everything). */
  refresh(keys: string[], origin: DatasetChange['origin']): Promise<void> {
    return this.serial(() => (keys.length === 0 ? this.loadNow() : this.refreshNow(keys, origin)));
  }

  private async refreshNow(keys: string[], origin: DatasetChange['origin']): Promise<void> {
    const view = await this.host.store().read(this.host.namespace(), this.name, keys);
    for (const key of keys) {
      const record = view.records.get(key);
      this.setRecord(key, record);
    }
    this.setState({
      pending: this.countPending(),
      lastSyncedAt: view.meta?.lastSyncedAt ?? this.currentState.lastSyncedAt,
      syncCount: view.meta?.lastSyncCount ?? this.currentState.syncCount,
    });
    this.emitChange(keys, origin);
  }

  /** @internal */
  setState(patch: Partial<SyncState>) {
    const next = { ...this.currentState, ...patch };
    const same = (Object.keys(next) as Array<keyof SyncState>).every(
      (key) => next[key] === this.currentState[key],
    );
    if (same) return;
    this.currentState = next;
    this.events.emit('state', next);
  }

  /**
   * @internal The client signed out or closed: this object no longer shows anyone's data, and
   * writes through it fail instead of landing in whoever signs in next.
   */
  detach() {
    this.detached = true;
    this.replaceAll(new Map());
    this.events.clear();
  }
}

/**
 * A pure, in-memory model of Cognito Sync semantics (spec §7) for model-based tests of the real
 * API. It is written from the spec, independently of the server code: it deliberately does not
 * use `@tandem/domain` (planPatches, pullWindow, limits), so a mistake shared by the server and
 * its own helpers still shows up as a disagreement.
 *
 * What it models, per dataset of one identity:
 * - §7.2 one successful UpdateRecords raises the dataset count N to N+1 and stamps every written
 *   record with N+1; a patch conflicts unless its syncCount equals the stored record's count
 *   (0 when absent; a tombstone's count when removed); one conflict rejects the whole request.
 * - §7.3 ListRecords(lastSyncCount = N) returns the records with syncCount > N, ordered by
 *   (syncCount, key); a missing dataset reports count 0 and no records.
 * - §7.6 removal leaves a tombstone (value null) carrying the new count.
 * - §7.7 DeleteDataset consumes one count (N -> N+1 = deletedAtSyncCount) and drops records and
 *   tombstones; a re-creation continues from there; a pull with 0 < lastSyncCount <=
 *   deletedAtSyncCount is flagged DatasetDeletedAfterRequestedSyncCount and gets the whole
 *   current incarnation.
 * - §7.9 dataStorage = UTF-8 bytes of key + value of the live records; LastModifiedBy = writer.
 * - §7.10 limits (20 datasets, 1,024 live records, 1 MB). When a request both conflicts and
 *   breaks a limit the spec does not say which is reported; the model reports the conflict.
 * - An UpdateRecords with no patches is a no-op: no count, no dataset created.
 */

/** §7.10, copied from the spec rather than imported from the server's constants. */
export const MODEL_LIMITS = {
  datasetsPerIdentity: 20,
  recordsPerDataset: 1024,
  datasetBytes: 1_048_576,
} as const;

export interface ModelRecord {
  key: string;
  /** null: a tombstone. */
  value: string | null;
  syncCount: number;
  lastModifiedBy: string;
  deviceLastModifiedDate: number | null;
}

export interface ModelDataset {
  exists: boolean;
  /** High-water mark; survives deletion so counts are never reused. */
  syncCount: number;
  deletedAtSyncCount: number | null;
  lastModifiedBy: string | null;
  /** Records and tombstones of the current incarnation. */
  records: Map<string, ModelRecord>;
}

export interface ModelPatch {
  op: 'replace' | 'remove';
  key: string;
  value?: string | undefined;
  syncCount: number;
  deviceLastModifiedDate?: number | undefined;
}

export interface ModelPull {
  /** Ordered by (syncCount, key). */
  records: ModelRecord[];
  datasetSyncCount: number;
  datasetExists: boolean;
  datasetDeletedAfterRequestedSyncCount: boolean;
  lastModifiedBy: string | null;
}

export interface ModelConflict {
  key: string;
  server: number;
  sent: number;
}

export type ModelUpdateOutcome =
  | { kind: 'ok'; records: ModelRecord[]; datasetSyncCount: number }
  /** `first` is the first conflicting patch in request order; `all` lists every one. */
  | { kind: 'conflict'; first: ModelConflict; all: ModelConflict[] }
  | { kind: 'limit'; reason: 'datasets' | 'records' | 'bytes' }
  | { kind: 'invalid'; reason: 'duplicateKey' };

export interface ModelDatasetSummary {
  datasetName: string;
  syncCount: number;
  numRecords: number;
  dataStorage: number;
  lastModifiedBy: string | null;
}

export type ModelDatasetOutcome =
  { kind: 'ok'; dataset: ModelDatasetSummary } | { kind: 'notFound' };

/** UTF-8 bytes, counted by hand (not the server's helper). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

export const conflictMessage = (c: ModelConflict) =>
  `Current SyncCount for: ${c.key} is: ${c.server} not: ${c.sent}`;

/** (syncCount, key) order of pulls. Keys are compared by code unit, fine for ASCII test keys. */
export const pullOrder = (
  a: { syncCount: number; key: string },
  b: { syncCount: number; key: string },
) => a.syncCount - b.syncCount || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export class SyncModel {
  readonly datasets = new Map<string, ModelDataset>();

  dataset(name: string): ModelDataset | undefined {
    return this.datasets.get(name);
  }

  liveDatasetCount(): number {
    let n = 0;
    for (const ds of this.datasets.values()) if (ds.exists) n += 1;
    return n;
  }

  /** The count a device must send for `key` to pass the conflict check. */
  storedCount(name: string, key: string): number {
    return this.datasets.get(name)?.records.get(key)?.syncCount ?? 0;
  }

  summary(name: string): ModelDatasetSummary | null {
    const ds = this.datasets.get(name);
    if (!ds?.exists) return null;
    let numRecords = 0;
    let dataStorage = 0;
    for (const r of ds.records.values()) {
      if (r.value === null) continue;
      numRecords += 1;
      dataStorage += utf8Bytes(r.key) + utf8Bytes(r.value);
    }
    return {
      datasetName: name,
      syncCount: ds.syncCount,
      numRecords,
      dataStorage,
      lastModifiedBy: ds.lastModifiedBy,
    };
  }

  /** Records of the current incarnation with since < syncCount <= upper, in pull order. */
  recordsInWindow(name: string, since: number, upper: number): ModelRecord[] {
    const ds = this.datasets.get(name);
    if (!ds?.exists) return [];
    return [...ds.records.values()]
      .filter((r) => r.syncCount > since && r.syncCount <= upper)
      .map((r) => ({ ...r }))
      .sort(pullOrder);
  }

  /** ListRecords, all pages together. Also returns the effective lower bound of the pull. */
  listRecords(name: string, lastSyncCount: number | undefined): ModelPull & { since: number } {
    const ds = this.datasets.get(name);
    const requested = lastSyncCount ?? 0;
    const deleted =
      ds !== undefined &&
      ds.deletedAtSyncCount !== null &&
      requested > 0 &&
      requested <= ds.deletedAtSyncCount;
    const since = deleted ? 0 : requested;
    if (!ds?.exists) {
      return {
        records: [],
        datasetSyncCount: 0,
        datasetExists: false,
        datasetDeletedAfterRequestedSyncCount: deleted,
        lastModifiedBy: null,
        since,
      };
    }
    return {
      records: this.recordsInWindow(name, since, ds.syncCount),
      datasetSyncCount: ds.syncCount,
      datasetExists: true,
      datasetDeletedAfterRequestedSyncCount: deleted,
      lastModifiedBy: ds.lastModifiedBy,
      since,
    };
  }

  /** UpdateRecords: all or nothing. Mutates the model only on success. */
  updateRecords(name: string, patches: readonly ModelPatch[], writer: string): ModelUpdateOutcome {
    const keys = new Set(patches.map((p) => p.key));
    if (keys.size !== patches.length) return { kind: 'invalid', reason: 'duplicateKey' };
    const ds = this.datasets.get(name);
    if (patches.length === 0)
      return { kind: 'ok', records: [], datasetSyncCount: ds?.exists ? ds.syncCount : 0 };

    const conflicts: ModelConflict[] = [];
    for (const p of patches) {
      const server = ds?.exists ? (ds.records.get(p.key)?.syncCount ?? 0) : 0;
      if (p.syncCount !== server) conflicts.push({ key: p.key, server, sent: p.syncCount });
    }
    if (conflicts.length > 0) return { kind: 'conflict', first: conflicts[0]!, all: conflicts };

    if (!ds?.exists && this.liveDatasetCount() >= MODEL_LIMITS.datasetsPerIdentity) {
      return { kind: 'limit', reason: 'datasets' };
    }
    const after = new Map(ds?.exists ? ds.records : []);
    const newCount = (ds?.syncCount ?? 0) + 1;
    const written: ModelRecord[] = patches.map((p) => ({
      key: p.key,
      value: p.op === 'replace' ? (p.value ?? '') : null,
      syncCount: newCount,
      lastModifiedBy: writer,
      deviceLastModifiedDate: p.deviceLastModifiedDate ?? null,
    }));
    for (const r of written) after.set(r.key, r);
    let live = 0;
    let bytes = 0;
    for (const r of after.values()) {
      if (r.value === null) continue;
      live += 1;
      bytes += utf8Bytes(r.key) + utf8Bytes(r.value);
    }
    if (live > MODEL_LIMITS.recordsPerDataset) return { kind: 'limit', reason: 'records' };
    if (bytes > MODEL_LIMITS.datasetBytes) return { kind: 'limit', reason: 'bytes' };

    this.datasets.set(name, {
      exists: true,
      syncCount: newCount,
      deletedAtSyncCount: ds?.deletedAtSyncCount ?? null,
      lastModifiedBy: writer,
      records: after,
    });
    return { kind: 'ok', records: written.map((r) => ({ ...r })), datasetSyncCount: newCount };
  }

  /** DeleteDataset: returns the dataset as it was before the deletion. */
  deleteDataset(
    name: string,
    writer: string,
  ): ModelDatasetOutcome & { deletedAtSyncCount?: number } {
    const ds = this.datasets.get(name);
    const before = this.summary(name);
    if (!ds || !before) return { kind: 'notFound' };
    const deletedAt = ds.syncCount + 1;
    this.datasets.set(name, {
      exists: false,
      syncCount: deletedAt,
      deletedAtSyncCount: deletedAt,
      lastModifiedBy: writer,
      records: new Map(),
    });
    return { kind: 'ok', dataset: before, deletedAtSyncCount: deletedAt };
  }

  describeDataset(name: string): ModelDatasetOutcome {
    const summary = this.summary(name);
    return summary ? { kind: 'ok', dataset: summary } : { kind: 'notFound' };
  }
}

/**
 * The R1 history checker (perf-reliability §D), independent of the model: every acknowledged
 * write and every acknowledged deletion, per (dataset, key). Acknowledged writes to one key must
 * form a chain of strictly increasing sync counts, and the server's final state of a key must be
 * the last link of its chain (a deletion supersedes every earlier write of its dataset).
 */
export type AckEvent =
  | {
      kind: 'write';
      datasetName: string;
      syncCount: number;
      records: Array<{ key: string; value: string | null }>;
    }
  | { kind: 'delete'; datasetName: string; syncCount: number };

export class AckHistory {
  readonly events: AckEvent[] = [];

  /** One acknowledged UpdateRecords: every record it wrote, all at `syncCount`. */
  write(
    datasetName: string,
    syncCount: number,
    records: Array<{ key: string; value: string | null }>,
  ): void {
    this.events.push({ kind: 'write', datasetName, syncCount, records });
  }

  deleted(datasetName: string, syncCount: number): void {
    this.events.push({ kind: 'delete', datasetName, syncCount });
  }

  /**
   * Problems found, [] when the history is sound. `finalState` is what a full pull of each
   * dataset returned at the end (key -> value/syncCount; absent keys are not in the map).
   */
  violations(
    finalState: ReadonlyMap<
      string,
      ReadonlyMap<string, { value: string | null; syncCount: number }>
    >,
  ): string[] {
    const problems: string[] = [];
    const lastByKey = new Map<string, { value: string | null; syncCount: number } | null>();
    const lastCount = new Map<string, number>();
    const chainKey = (ds: string, key: string) => `${ds}\u0000${key}`;
    for (const e of this.events) {
      const previous = lastCount.get(e.datasetName) ?? 0;
      if (e.syncCount <= previous) {
        problems.push(
          `${e.datasetName}: acknowledged ${e.kind} at ${e.syncCount} after one at ${previous} (counts must rise)`,
        );
      }
      lastCount.set(e.datasetName, Math.max(previous, e.syncCount));
      if (e.kind === 'write') {
        for (const r of e.records) {
          const link = lastByKey.get(chainKey(e.datasetName, r.key));
          if (link && link.syncCount >= e.syncCount) {
            problems.push(
              `${e.datasetName}/${r.key}: acknowledged at ${e.syncCount} after ${link.syncCount} (chain must rise)`,
            );
          }
          lastByKey.set(chainKey(e.datasetName, r.key), { value: r.value, syncCount: e.syncCount });
        }
      } else {
        for (const k of lastByKey.keys())
          if (k.startsWith(`${e.datasetName}\u0000`)) lastByKey.set(k, null);
      }
    }
    for (const [k, expected] of lastByKey) {
      const [ds, key] = k.split('\u0000') as [string, string];
      const actual = finalState.get(ds)?.get(key) ?? null;
      const same =
        expected === null
          ? actual === null
          : actual !== null &&
            actual.value === expected.value &&
            actual.syncCount === expected.syncCount;
      if (!same) {
        problems.push(
          `${ds}/${key}: last acknowledged ${JSON.stringify(expected)} but the server holds ${JSON.stringify(actual)}`,
        );
      }
    }
    for (const [ds, records] of finalState) {
      for (const key of records.keys()) {
        if (!lastByKey.has(chainKey(ds, key)))
          problems.push(`${ds}/${key}: on the server but never acknowledged`);
      }
    }
    return problems;
  }
}

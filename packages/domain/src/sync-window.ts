/**
 * What a pull (ListRecords) must return for a device that last synced at `lastSyncCount`
 * (spec §7.3, §7.7). Sync counts are never reused: a deleted dataset keeps its high-water mark,
 * and a deletion is itself a count. A device whose last sync is at or before the latest
 * deletion is told so (`deletedAfterRequested`) and gets the whole current incarnation.
 */
export interface DatasetSyncState {
  exists: boolean;
  syncCount: number;
  deletedAtSyncCount: number | null;
}

export function pullWindow(
  dataset: DatasetSyncState | null,
  lastSyncCount: number | undefined,
): { since: number; deletedAfterRequested: boolean } {
  const requested = lastSyncCount ?? 0;
  const deletedAt = dataset?.deletedAtSyncCount ?? null;
  const deletedAfterRequested = requested > 0 && deletedAt !== null && requested <= deletedAt;
  return { since: deletedAfterRequested ? 0 : requested, deletedAfterRequested };
}

import type { RecordPatch } from '@tandem/sync-protocol';
import { invalidParameter, staleSyncCount } from './errors.js';
import { assertDatasetWithinLimits, recordSize, type DatasetTotals } from './limits.js';

/** What the server holds for a key (absent keys are not in the map: their count is 0). */
export interface StoredRecordState {
  value: string | null;
  syncCount: number;
}

export interface RecordWrite {
  key: string;
  value: string | null;
  syncCount: number;
  deviceLastModifiedDate: number | null;
}

export interface PatchPlan {
  /** The dataset's sync count after the write (always `datasetSyncCount + 1`). */
  syncCount: number;
  writes: RecordWrite[];
  totals: DatasetTotals;
}

/** One request may patch a key once. */
export function assertDistinctKeys(patches: readonly RecordPatch[]): void {
  const seen = new Set<string>();
  for (const patch of patches) {
    if (seen.has(patch.key)) {
      throw invalidParameter(`RecordPatches contains key '${patch.key}' more than once`);
    }
    seen.add(patch.key);
  }
}

/**
 * The heart of UpdateRecords (spec §7.2, §7.5), pure so the server, the model tests and the
 * client SDK can share it.
 *
 * - Every patch's syncCount must equal the stored count of its key (0 when absent or never
 *   written; a tombstone's count when removed). One mismatch rejects the whole request.
 * - On success the dataset count N becomes N+1 and every written record carries N+1; a
 *   removal leaves a tombstone (value null) so other devices learn of it.
 * - Limits are checked on the state after the patches, so a request that removes and adds in
 *   one go is judged by its result.
 */
export function planPatches(args: {
  datasetSyncCount: number;
  totals: DatasetTotals;
  current: ReadonlyMap<string, StoredRecordState>;
  patches: readonly RecordPatch[];
}): PatchPlan {
  const { current, patches } = args;
  assertDistinctKeys(patches);
  for (const patch of patches) {
    const stored = current.get(patch.key)?.syncCount ?? 0;
    if (patch.syncCount !== stored) throw staleSyncCount(patch.key, stored, patch.syncCount);
  }

  const syncCount = args.datasetSyncCount + 1;
  let { numRecords, dataStorage } = args.totals;
  const writes: RecordWrite[] = [];
  for (const patch of patches) {
    const before = current.get(patch.key);
    const beforeValue = before?.value ?? null;
    const value = patch.op === 'replace' ? (patch.value ?? '') : null;
    if (beforeValue !== null) numRecords -= 1;
    if (value !== null) numRecords += 1;
    dataStorage += recordSize(patch.key, value) - recordSize(patch.key, beforeValue);
    writes.push({
      key: patch.key,
      value,
      syncCount,
      deviceLastModifiedDate: patch.deviceLastModifiedDate ?? null,
    });
  }
  const totals = { numRecords, dataStorage };
  assertDatasetWithinLimits(totals);
  return { syncCount, writes, totals };
}

import type { SyncCallbacks } from '@tandem/client-sdk';
import type { ConflictQueue } from './conflicts.js';
import type { MergedDatasets } from './merges.js';

/**
 * The callbacks each dataset is opened with, `client.dataset(name, callbacks)`. The SDK keeps them
 * for every sync of that dataset: the automatic ones (after a write, on reconnect, when another
 * device changed something) as well as explicit `synchronize()` calls.
 */
export function datasetCallbacks(conflicts: ConflictQueue, merges: MergedDatasets) {
  const byName = new Map<string, SyncCallbacks>();
  return (datasetName: string): SyncCallbacks => {
    const existing = byName.get(datasetName);
    if (existing) return existing;
    // Reported during a sync, published once the sync succeeded (so an empty list clears it).
    let merged: string[] = [];
    const callbacks: SyncCallbacks = {
      onConflict: (found) => conflicts.ask(datasetName, found),
      onDatasetsMerged: (_name, names) => {
        merged = names;
        return true; // go on syncing; the user decides about the guest data later
      },
      onSuccess: () => {
        merges.report(datasetName, merged);
        merged = [];
      },
    };
    byName.set(datasetName, callbacks);
    return callbacks;
  };
}

import { MAX_DATASET_NAME_LENGTH } from '@tandem/sync-protocol';

/**
 * Identity merges (spec §7.8). When a guest identity is merged into a signed-in one, each of
 * the guest's datasets D moves to the survivor as `D.<guestIdentityId>`; ListRecords of D on
 * the survivor then reports it in MergedDatasetNames until that dataset is deleted.
 */
export function mergedDatasetName(datasetName: string, fromIdentityId: string): string {
  return `${datasetName}.${fromIdentityId}`;
}

/** Whether a merged name still fits the dataset-name limit (base names ≤ 81 chars do). */
export const isAddressableDatasetName = (name: string) => name.length <= MAX_DATASET_NAME_LENGTH;

/** The parent D of a merged dataset `D.<identityId>` given the identity it came from. */
export function mergeParent(mergedName: string, fromIdentityId: string): string | null {
  const suffix = `.${fromIdentityId}`;
  return mergedName.endsWith(suffix) ? mergedName.slice(0, -suffix.length) : null;
}

/**
 * Identity merges (spec §7.8). When a guest identity is merged into a signed-in one, each of
 * the guest's datasets D moves to the survivor as `D.<guestIdentityId>`; ListRecords of D on
 * the survivor then reports it in MergedDatasetNames until that dataset is deleted.
 */
export function mergedDatasetName(datasetName: string, fromIdentityId: string): string {
  return `${datasetName}.${fromIdentityId}`;
}

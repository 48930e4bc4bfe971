/**
 * Guest data after signing in to an existing account.
 *
 * When a guest signs in to an account that already has data in this pool, the server keeps both:
 * each of the guest's datasets moves into the account as `<name>.<guestIdentityId>`, and every
 * sync of `<name>` reports those names to `onDatasetsMerged` until they are deleted (Cognito's
 * behaviour). What to do with them is the app's decision; this app offers to copy them in or to
 * discard them.
 */
import type { Dataset, TandemClient } from '@tandem/client-sdk';
import { Observable } from './observable.js';

export type MergedNames = Readonly<Record<string, readonly string[]>>;

export class MergedDatasets {
  private readonly byDataset = new Observable<MergedNames>({});

  readonly subscribe = this.byDataset.subscribe;

  /** Dataset name → the merged guest datasets its latest sync reported. */
  readonly get = (): MergedNames => this.byDataset.get();

  /** What the latest successful sync of `datasetName` reported (empty: nothing left to merge). */
  report(datasetName: string, mergedNames: readonly string[]) {
    const current = this.byDataset.get();
    const before = current[datasetName] ?? [];
    if (before.length === mergedNames.length && before.every((n, i) => n === mergedNames[i])) {
      return;
    }
    const next = { ...current };
    if (mergedNames.length) next[datasetName] = mergedNames;
    else delete next[datasetName];
    this.byDataset.set(next);
  }
}

/**
 * Copies the records of the merged guest datasets into `target` (`import`), or just drops them
 * (`discard`), then deletes the merged datasets so the server stops reporting them.
 */
export async function finishMerge(
  client: TandemClient,
  target: Dataset,
  mergedNames: readonly string[],
  action: 'import' | 'discard',
): Promise<void> {
  for (const name of mergedNames) {
    const merged = await client.dataset(name);
    // This device has never seen the merged dataset: pull it before reading.
    await merged.synchronize();
    if (action === 'import') {
      // Note ids are unique, so guest notes land beside the account's. For settings the guest's
      // values win: they are the choices most recently made on this device.
      await target.putAll(merged.getAll());
    }
    // Deleting is a local write like any other; the sync takes it to the server.
    await merged.delete();
    await merged.synchronize();
  }
  // One more sync of the target: the server confirms that nothing is left to merge, and the
  // imported records go out now rather than after the usual short delay.
  await target.synchronize();
}

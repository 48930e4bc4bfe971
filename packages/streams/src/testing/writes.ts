import {
  createIdentityPool,
  getOrCreateIdentity,
  updateRecords,
  type Database,
  type Writer,
} from '@tandem/db';

const device: Writer = { source: 'identity', lastModifiedBy: 'test-device' };

export type WriteFn = (
  identityId: string,
  dataset: string,
  key: string,
  value: string,
) => Promise<number>;

/** A pool with `identities` identities, and a writer that keeps each record's sync count. */
export async function poolWithIdentities(database: Database, identities: number) {
  const pool = await createIdentityPool(database.db, {
    name: 'streams test',
    allowUnauthenticated: true,
    region: 'local-1',
  });
  const ids: string[] = [];
  for (let i = 0; i < identities; i++) {
    const identity = await getOrCreateIdentity(database.db, {
      identityPoolId: pool.id,
      userId: `user-${i}-${Math.random()}`,
      authenticated: true,
    });
    ids.push(identity.id);
  }
  const counts = new Map<string, number>();
  /** One UpdateRecords of `key` in `dataset`; returns the dataset sync count it produced. */
  const write: WriteFn = async (identityId, dataset, key, value) => {
    const recordKey = `${identityId}/${dataset}/${key}`;
    const { records } = await updateRecords(database, {
      identityPoolId: pool.id,
      identityId,
      datasetName: dataset,
      writer: device,
      patches: [{ op: 'replace', key, value, syncCount: counts.get(recordKey) ?? 0 }],
    });
    const syncCount = records[0]?.syncCount ?? 0;
    counts.set(recordKey, syncCount);
    return syncCount;
  };
  return { poolId: pool.id, identityIds: ids, write };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`waitFor: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Writes through the same path as the API (`updateRecords`), and the change log read back for
 * assertions. The pool helper mirrors packages/streams/src/export/testing/writes.ts (not
 * importable across projects).
 */
import {
  createIdentityPool,
  getOrCreateIdentity,
  streamExportConsumerName,
  updateRecords,
  type Database,
  type Writer,
} from '@tandem/db';
import { dedupeKey } from '@tandem/streams';

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
    name: 'worker process test',
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

/**
 * `rounds` writes to every (identity, dataset): the datasets written concurrently, each one's
 * writes one after the other. Returns each write's duration in ms.
 */
export async function writeRounds(
  write: WriteFn,
  identityIds: readonly string[],
  datasets: readonly string[],
  rounds: number,
  tag: string,
): Promise<number[]> {
  const durations: number[] = [];
  await Promise.all(
    identityIds.flatMap((identityId) =>
      datasets.map(async (dataset) => {
        for (let round = 0; round < rounds; round++) {
          const start = performance.now();
          await write(identityId, dataset, `k${round % 4}`, `${tag}-${round}`);
          durations.push(performance.now() - start);
        }
      }),
    ),
  );
  return durations;
}

export interface ChangeRow {
  id: number;
  txId: bigint;
  identityId: string;
  datasetName: string;
  syncCount: number;
  dedupeKey: string;
}

/** Every change_log row of the pool, in the export's (tx_id, id) order. */
export async function changeLogRows(database: Database, poolId: string): Promise<ChangeRow[]> {
  const rows = await database.sql.query<{
    id: unknown;
    tx_id: string;
    identity_id: string;
    dataset_name: string;
    sync_count: unknown;
  }>(
    {
      name: 'worker_test_change_log_rows',
      text: `select id::int8 as id, tx_id::text as tx_id, identity_id, dataset_name,
          sync_count::int8 as sync_count
        from change_log where identity_pool_id = $1 order by tx_id, id`,
    },
    [poolId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    txId: BigInt(r.tx_id),
    identityId: r.identity_id,
    datasetName: r.dataset_name,
    syncCount: Number(r.sync_count),
    dedupeKey: dedupeKey(poolId, r.identity_id, r.dataset_name, Number(r.sync_count)),
  }));
}

/** The pool's export consumer: its checkpoint (as a comparable pair) and lease holder. */
export async function exportState(
  database: Database,
  poolId: string,
): Promise<{ txId: bigint; id: number; holder: string | null; leaseLive: boolean }> {
  const [row] = await database.sql.query<{
    tx_id: string;
    id: unknown;
    holder: string | null;
    lease_live: boolean | null;
  }>(
    {
      name: 'worker_test_export_state',
      text: `select checkpoint_tx_id::text as tx_id, checkpoint_id::int8 as id, holder,
          lease_expires_at > now() as lease_live
        from change_log_consumer where name = $1`,
    },
    [streamExportConsumerName(poolId)],
  );
  if (!row) throw new Error(`no export consumer for pool ${poolId}`);
  return {
    txId: BigInt(row.tx_id),
    id: Number(row.id),
    holder: row.holder,
    leaseLive: row.lease_live === true,
  };
}

/** Whether change `row` lies after the checkpoint (i.e. was not checkpointed yet). */
export const afterCheckpoint = (row: ChangeRow, checkpoint: { txId: bigint; id: number }) =>
  row.txId > checkpoint.txId || (row.txId === checkpoint.txId && row.id > checkpoint.id);

/**
 * Writes through the same path as the API (`updateRecords`: @tandem/streams' pool helper), and
 * the change log read back for assertions.
 */
import { streamExportConsumerName, type Database } from '@tandem/db';
import { dedupeKey } from '@tandem/streams';

import type { WriteFn } from '@tandem/streams/testing';

export { poolWithIdentities, type WriteFn } from '@tandem/streams/testing';

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

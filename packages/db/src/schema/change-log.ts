import { sql } from 'drizzle-orm';
import { bigint, bigserial, customType, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });
const pgSnapshot = customType<{ data: string }>({ dataType: () => 'pg_snapshot' });

export interface ChangeLogRecord {
  key: string;
  value: string | null;
  syncCount: number;
  lastModifiedDate: number;
  deviceLastModifiedDate: number | null;
}

/**
 * The outbox: one row per committed change (UpdateRecords, DeleteDataset, merge), inserted in
 * the same transaction as the records, so everything downstream (live pokes, streams, push)
 * sees exactly what committed. `id` order is NOT commit order (sequences are taken before
 * commit); readers that need commit order use `txId` against their snapshot's xmin
 * (research perf-reliability §B3).
 */
export const changeLog = pgTable(
  'change_log',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    txId: xid8()
      .notNull()
      .default(sql`pg_current_xact_id()`),
    identityPoolId: text().notNull(),
    identityId: text().notNull(),
    datasetName: text().notNull(),
    /** The dataset sync count this change produced: (pool, identity, dataset, syncCount) is unique. */
    syncCount: bigint({ mode: 'number' }).notNull(),
    kind: text({ enum: ['update', 'delete', 'merge'] }).notNull(),
    /** Records as written (tombstones included); empty for a deletion. */
    records: jsonb().$type<ChangeLogRecord[]>().notNull(),
    lastModifiedBy: text(),
    deviceId: text(),
    /** Whether the write came from identity credentials (sync trigger) or an admin. */
    source: text({ enum: ['identity', 'admin', 'system'] }).notNull(),
    committedAt: timestamptz().notNull().defaultNow(),
  },
  (t) => [
    index('change_log_dataset_idx').on(t.identityId, t.datasetName, t.syncCount),
    // The console dashboard: a pool's changes over a time window, and its latest changes.
    index('change_log_pool_time_idx').on(t.identityPoolId, t.committedAt),
    // Commit-safe readers (packages/change-log) scan in (tx_id, id) order after a checkpoint.
    index('change_log_tx_idx').on(t.txId, t.id),
    // Per-pool consumers (stream export) scan one pool's rows in the same order.
    index('change_log_pool_tx_idx').on(t.identityPoolId, t.txId, t.id),
  ],
);

/**
 * One row per named change-log consumer (packages/change-log): its durable checkpoint — the
 * (txId, id) of the last row it handled — and the lease that lets exactly one replica of the
 * consumer run at a time. The checkpoint is written only by the current, unexpired holder.
 */
export const changeLogConsumer = pgTable('change_log_consumer', {
  name: text().primaryKey(),
  checkpointTxId: xid8()
    .notNull()
    .default(sql`'0'::xid8`),
  checkpointId: bigint({ mode: 'number' }).notNull().default(0),
  /**
   * Where a consumer that starts "from now" began: rows of transactions already committed in
   * this snapshot are skipped even when their id is above the checkpoint's xmin (a transaction
   * older than them, anywhere in the cluster, was still open at the start).
   */
  startSnapshot: pgSnapshot(),
  /** The replica holding the lease (null once released). */
  holder: text(),
  leaseExpiresAt: timestamptz(),
  updatedAt: timestamptz().notNull().defaultNow(),
});

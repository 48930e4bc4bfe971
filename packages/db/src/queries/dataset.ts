/**
 * Datasets and records: the transactional core of Cognito Sync semantics.
 *
 * Ordering and safety:
 * - Every write holds the dataset row lock while it writes. UpdateRecords on an existing
 *   dataset is one statement (UPDATE_IN_ONE) that checks, under that lock, that its snapshot
 *   is current; creation, re-creation after a deletion, heavy contention and DeleteDataset
 *   use a transaction that takes the lock first. Creating a dataset also locks the identity
 *   row so concurrent creations cannot jointly pass the 20-dataset limit. Record/size limits
 *   are checked on the totals kept on the dataset row under the lock.
 * - Each write raises the dataset sync count by exactly one and appends one change-log row in
 *   the same transaction. Callers announce the returned change after commit (ChangeFeed).
 * - A pull reads the dataset row first and then only records with syncCount <= that count, so
 *   the DatasetSyncCount it reports never runs ahead of the records it returns. Later pages
 *   keep the first page's upper bound: a record rewritten mid-pagination moves past the bound
 *   and is returned by the next pull, never lost.
 */
import {
  MAX_DATASET_BYTES,
  MAX_RECORDS_PER_DATASET,
  type Dataset,
  type RecordPatch,
  type SyncRecord,
} from '@tandem/sync-protocol';
import {
  assertCanCreateDataset,
  assertDatasetWithinLimits,
  assertDistinctKeys,
  notFound,
  planPatches,
  pullWindow,
  staleSyncCount,
  type StoredRecordState,
} from '@tandem/domain';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Database, DbOrTx, SqlRunner, Statement } from '../client.js';
import { changeLog, dataset, record, type ChangeLogRecord } from '../schema/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export type DatasetRow = typeof dataset.$inferSelect;
type RecordRow = typeof record.$inferSelect;

/** Who writes: identity writes run the sync trigger (later); admin writes do not. */
export interface Writer {
  source: 'identity' | 'admin' | 'system';
  /** Stored as LastModifiedBy (spec §7.9). */
  lastModifiedBy: string;
  deviceId?: string | undefined;
}

export interface CommittedChange {
  changeId: number;
  identityPoolId: string;
  identityId: string;
  datasetName: string;
  syncCount: number;
  kind: 'update' | 'delete' | 'merge';
  deviceId: string | null;
}

export const toDataset = (row: DatasetRow): Dataset => ({
  identityId: row.identityId,
  datasetName: row.name,
  creationDate: row.creationDate.getTime(),
  lastModifiedDate: row.lastModifiedDate.getTime(),
  lastModifiedBy: row.lastModifiedBy,
  dataStorage: row.dataStorage,
  numRecords: row.numRecords,
  syncCount: row.syncCount,
});

export const toSyncRecord = (row: RecordRow): SyncRecord => ({
  key: row.key,
  value: row.value,
  syncCount: row.syncCount,
  lastModifiedDate: row.lastModifiedDate.getTime(),
  lastModifiedBy: row.lastModifiedBy,
  deviceLastModifiedDate: row.deviceLastModifiedDate?.getTime() ?? null,
});

const datasetKey = (identityId: string, datasetName: string) =>
  and(eq(dataset.identityId, identityId), eq(dataset.name, datasetName));

export async function findDataset(
  db: DbOrTx,
  identityId: string,
  datasetName: string,
): Promise<DatasetRow | null> {
  const [row] = await db.select().from(dataset).where(datasetKey(identityId, datasetName));
  return row ?? null;
}

export async function describeDataset(
  db: DbOrTx,
  args: { identityId: string; datasetName: string },
): Promise<Dataset> {
  const row = await findDataset(db, args.identityId, args.datasetName);
  if (!row?.exists) throw notFound(`Dataset '${args.datasetName}' not found.`);
  return toDataset(row);
}

export async function listDatasets(
  db: DbOrTx,
  args: { identityId: string; nextToken?: string | undefined; maxResults: number },
): Promise<{ datasets: Dataset[]; nextToken: string | null }> {
  const after = args.nextToken
    ? decodeCursor(args.nextToken, (v): v is string => typeof v === 'string')
    : null;
  const rows = await db
    .select()
    .from(dataset)
    .where(
      and(
        eq(dataset.identityId, args.identityId),
        eq(dataset.exists, true),
        after === null ? undefined : gt(dataset.name, after),
      ),
    )
    .orderBy(asc(dataset.name))
    .limit(args.maxResults + 1);
  const page = rows.slice(0, args.maxResults);
  return {
    datasets: page.map(toDataset),
    nextToken: rows.length > args.maxResults ? encodeCursor(page.at(-1)!.name) : null,
  };
}

interface RecordsCursor {
  /** Upper bound fixed by the first page. */
  u: number;
  /** Last (syncCount, key) returned. */
  c: number;
  k: string;
  /** Lower bound (exclusive) of this pull. */
  s: number;
}
const isRecordsCursor = (v: unknown): v is RecordsCursor =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger((v as RecordsCursor).u) &&
  Number.isSafeInteger((v as RecordsCursor).c) &&
  Number.isSafeInteger((v as RecordsCursor).s) &&
  typeof (v as RecordsCursor).k === 'string';

export interface ListRecordsResult {
  records: SyncRecord[];
  nextToken: string | null;
  datasetSyncCount: number;
  lastModifiedBy: string | null;
  mergedDatasetNames: string[] | null;
  datasetExists: boolean;
  datasetDeletedAfterRequestedSyncCount: boolean;
}

/** Epoch milliseconds of a timestamptz column, as a float8 both drivers return as a number. */
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/** The dataset and the names merged into it, in one round trip (absent dataset: nulls). */
const PULL_DATASET: Statement = {
  name: 'tandem_pull_dataset',
  text: `SELECT d.exists, d.sync_count::int8 AS sync_count, d.deleted_at_sync_count::int8 AS deleted_at,
       d.last_modified_by,
       (SELECT array_agg(m.name ORDER BY m.name) FROM dataset m
         WHERE m.identity_id = $1 AND m.exists AND m.merged_from_identity_id IS NOT NULL
           AND m.name = $2 || '.' || m.merged_from_identity_id) AS merged
     FROM (SELECT 1) AS one LEFT JOIN dataset d ON d.identity_id = $1 AND d.name = $2`,
};

const RECORD_COLUMNS = `key, value, sync_count::int8 AS sync_count, ${ms('last_modified_date')} AS modified,
  last_modified_by, ${ms('device_last_modified_date')} AS device_modified`;

const PULL_RECORDS: Statement = {
  name: 'tandem_pull_records',
  text: `SELECT ${RECORD_COLUMNS} FROM record
     WHERE identity_id = $1 AND dataset_name = $2 AND sync_count <= $3 AND sync_count > $4
     ORDER BY sync_count, key LIMIT $5`,
};

/** A later page: after the last (syncCount, key) returned, in the same order. */
const PULL_RECORDS_AFTER: Statement = {
  name: 'tandem_pull_records_after',
  text: `SELECT ${RECORD_COLUMNS} FROM record
     WHERE identity_id = $1 AND dataset_name = $2 AND sync_count <= $3
       AND (sync_count > $4 OR (sync_count = $4 AND key > $5))
     ORDER BY sync_count, key LIMIT $6`,
};

interface RawRecord {
  key: string;
  value: string | null;
  sync_count: string | number;
  modified: number;
  last_modified_by: string | null;
  device_modified: number | null;
}

const fromRawRecord = (r: RawRecord): SyncRecord => ({
  key: r.key,
  value: r.value,
  syncCount: Number(r.sync_count),
  lastModifiedDate: Math.round(r.modified),
  lastModifiedBy: r.last_modified_by,
  deviceLastModifiedDate: r.device_modified === null ? null : Math.round(r.device_modified),
});

export async function listRecords(
  sql: SqlRunner,
  args: {
    identityId: string;
    datasetName: string;
    lastSyncCount?: number | undefined;
    nextToken?: string | undefined;
    maxResults: number;
  },
): Promise<ListRecordsResult> {
  const [row] = await sql.query<{
    exists: boolean | null;
    sync_count: string | number | null;
    deleted_at: string | number | null;
    last_modified_by: string | null;
    merged: string[] | null;
  }>(PULL_DATASET, [args.identityId, args.datasetName]);
  const exists = row?.exists ?? false;
  const syncCount = Number(row?.sync_count ?? 0);
  const window = pullWindow(
    row?.exists === null || !row
      ? null
      : {
          exists,
          syncCount,
          deletedAtSyncCount: row.deleted_at === null ? null : Number(row.deleted_at),
        },
    args.lastSyncCount,
  );
  const base = {
    datasetSyncCount: exists ? syncCount : 0,
    lastModifiedBy: exists ? (row?.last_modified_by ?? null) : null,
    mergedDatasetNames: row?.merged ?? null,
    datasetExists: exists,
    datasetDeletedAfterRequestedSyncCount: window.deletedAfterRequested,
  };
  if (!exists) return { ...base, records: [], nextToken: null };

  const cursor = args.nextToken ? decodeCursor(args.nextToken, isRecordsCursor) : null;
  const upper = cursor?.u ?? syncCount;
  const since = cursor?.s ?? window.since;
  // Nothing was written after `since`: the common no-op sync costs one round trip.
  if (!cursor && since >= upper)
    return { ...base, datasetSyncCount: upper, records: [], nextToken: null };
  const rows = cursor
    ? await sql.query<RawRecord>(PULL_RECORDS_AFTER, [
        args.identityId,
        args.datasetName,
        upper,
        cursor.c,
        cursor.k,
        args.maxResults + 1,
      ])
    : await sql.query<RawRecord>(PULL_RECORDS, [
        args.identityId,
        args.datasetName,
        upper,
        since,
        args.maxResults + 1,
      ]);
  const page = rows.slice(0, args.maxResults).map(fromRawRecord);
  const last = page.at(-1);
  return {
    ...base,
    // Every page reports the bound it was read against, so the client's final count is exact.
    datasetSyncCount: upper,
    records: page,
    nextToken:
      rows.length > args.maxResults && last
        ? encodeCursor({
            u: upper,
            c: last.syncCount,
            k: last.key,
            s: since,
          } satisfies RecordsCursor)
        : null,
  };
}

interface LockedDataset {
  exists: boolean;
  syncCount: number;
  numRecords: number;
  dataStorage: number;
}

const LOCK_DATASET: Statement = {
  name: 'tandem_lock_dataset',
  text: `SELECT exists, sync_count::int8 AS sync_count, num_records, data_storage::int8 AS data_storage
     FROM dataset WHERE identity_id = $1 AND name = $2 FOR UPDATE`,
};
const LOCK_IDENTITY: Statement = {
  name: 'tandem_lock_identity',
  text: 'SELECT id FROM identity WHERE id = $1 FOR UPDATE',
};
const COUNT_LIVE_DATASETS: Statement = {
  name: 'tandem_count_live_datasets',
  text: 'SELECT count(*)::int AS live FROM dataset WHERE identity_id = $1 AND exists',
};
const INSERT_DATASET: Statement = {
  name: 'tandem_insert_dataset',
  text: `INSERT INTO dataset (identity_id, name, identity_pool_id, exists) VALUES ($1, $2, $3, false)`,
};
/**
 * UpdateRecords in one statement (its own transaction), for a dataset that exists:
 * - `locked` locks the dataset row and sees its latest version; `seen` is the same row in this
 *   statement's snapshot. Every write moves the sync count, so if they agree, no write
 *   committed after the snapshot and the records read from it (`old`) are current. If they
 *   differ the statement writes nothing and the caller runs it again.
 * - It then applies the rules of domain `planPatches` — each patch's sync count equals the
 *   stored one (0 when absent), live-record and UTF-8 byte totals within the limits — and only
 *   then moves the dataset to count+1, upserts the records and appends the change.
 * It returns what the caller needs to report the outcome: the first stale patch, the new
 * totals, the change. `planPatches` stays the definition (the locking path uses it); the model
 * tests hold both paths to the same semantics.
 */
const UPDATE_IN_ONE: Statement = {
  name: 'tandem_update_in_one',
  text: `WITH seen AS (
       SELECT sync_count FROM dataset WHERE identity_id = $1 AND name = $2 AND exists),
     locked AS (
       SELECT sync_count, num_records, data_storage FROM dataset
        WHERE identity_id = $1 AND name = $2 AND exists FOR UPDATE),
     p AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::float8[], $6::int8[]) WITH ORDINALITY
         AS p(key, value, device_ms, expected, ord)),
     old AS (
       SELECT p.key, p.value, p.expected, p.ord, r.value AS old_value, coalesce(r.sync_count, 0) AS stored
         FROM p LEFT JOIN record r ON r.identity_id = $1 AND r.dataset_name = $2 AND r.key = p.key),
     verdict AS (
       SELECT l.sync_count AS base, (SELECT s.sync_count FROM seen s) AS seen_count,
         (SELECT jsonb_build_array(o.key, o.stored, o.expected) FROM old o
           WHERE o.stored <> o.expected ORDER BY o.ord LIMIT 1) AS conflict,
         (l.num_records + (SELECT coalesce(sum((o.value IS NOT NULL)::int - (o.old_value IS NOT NULL)::int), 0)
                             FROM old o))::int8 AS num_records,
         (l.data_storage + (SELECT coalesce(sum(coalesce(octet_length(o.key) + octet_length(o.value), 0)
                                               - coalesce(octet_length(o.key) + octet_length(o.old_value), 0)), 0)
                              FROM old o))::int8 AS data_storage
         FROM locked l),
     go AS (
       SELECT * FROM verdict
        WHERE seen_count = base AND conflict IS NULL AND num_records <= $12 AND data_storage <= $13),
     moved AS (
       UPDATE dataset d SET sync_count = go.base + 1, num_records = go.num_records,
         data_storage = go.data_storage, last_modified_date = to_timestamp($7::float8 / 1000),
         last_modified_by = $8
         FROM go WHERE d.identity_id = $1 AND d.name = $2
       RETURNING d.sync_count),
     written AS (
       INSERT INTO record (identity_id, dataset_name, key, value, sync_count, last_modified_date,
                           last_modified_by, device_last_modified_date)
       SELECT $1, $2, p.key, p.value, m.sync_count, to_timestamp($7::float8 / 1000), $8,
              to_timestamp(p.device_ms / 1000)
         FROM p, moved m
       ON CONFLICT (identity_id, dataset_name, key) DO UPDATE SET
         value = excluded.value, sync_count = excluded.sync_count,
         last_modified_date = excluded.last_modified_date, last_modified_by = excluded.last_modified_by,
         device_last_modified_date = excluded.device_last_modified_date),
     change AS (
       INSERT INTO change_log (identity_pool_id, identity_id, dataset_name, sync_count, kind, records,
                               last_modified_by, device_id, source)
       SELECT $9, $1, $2, m.sync_count, 'update',
              (SELECT jsonb_agg(jsonb_build_object('key', p.key, 'value', p.value, 'syncCount', m.sync_count,
                                                   'lastModifiedDate', $7::float8,
                                                   'deviceLastModifiedDate', p.device_ms) ORDER BY p.ord)
                 FROM p),
              $8, $10, $11
         FROM moved m
       RETURNING id, sync_count)
   SELECT v.base::int8 AS base, v.seen_count::int8 AS seen_count, v.conflict,
          v.num_records, v.data_storage,
          (SELECT c.id FROM change c)::int8 AS change_id, (SELECT c.sync_count FROM change c)::int8 AS sync_count
     FROM (SELECT 1) AS one LEFT JOIN verdict v ON true`,
};
const READ_PATCHED_RECORDS: Statement = {
  name: 'tandem_read_patched_records',
  text: `SELECT key, value, sync_count::int8 AS sync_count FROM record
     WHERE identity_id = $1 AND dataset_name = $2 AND key = ANY($3::text[])`,
};
/**
 * The locking path's write, run under the dataset row lock: move the dataset's counters, upsert
 * the records and append the change. The sync-count condition is a guard (under the lock it
 * always holds); no row back means nothing was written.
 */
const WRITE_RECORDS: Statement = {
  name: 'tandem_write_records',
  text: `WITH moved AS (
       UPDATE dataset SET exists = true, sync_count = $4, num_records = $9, data_storage = $10,
         last_modified_date = to_timestamp($5::float8 / 1000), last_modified_by = $6,
         creation_date = CASE WHEN $11::boolean THEN creation_date ELSE to_timestamp($5::float8 / 1000) END
       WHERE identity_id = $1 AND name = $2 AND sync_count = $16
       RETURNING 1),
     written AS (
       INSERT INTO record (identity_id, dataset_name, key, value, sync_count, last_modified_date,
                           last_modified_by, device_last_modified_date)
       SELECT $1, $2, w.key, w.value, $4, to_timestamp($5::float8 / 1000), $6,
              to_timestamp(w.device_ms / 1000)
         FROM unnest($3::text[], $7::text[], $8::float8[]) AS w(key, value, device_ms)
        WHERE EXISTS (SELECT 1 FROM moved)
       ON CONFLICT (identity_id, dataset_name, key) DO UPDATE SET
         value = excluded.value, sync_count = excluded.sync_count,
         last_modified_date = excluded.last_modified_date, last_modified_by = excluded.last_modified_by,
         device_last_modified_date = excluded.device_last_modified_date
       RETURNING 1)
   INSERT INTO change_log (identity_pool_id, identity_id, dataset_name, sync_count, kind, records,
                           last_modified_by, device_id, source)
   SELECT $12, $1, $2, $4, 'update', $13::jsonb, $6, $14, $15
     WHERE EXISTS (SELECT 1 FROM moved) AND (SELECT count(*) FROM written) = cardinality($3::text[])
   RETURNING id::int8 AS id`,
};

/** Optimistic attempts before taking the dataset row lock (contention on one dataset). */
const OPTIMISTIC_ATTEMPTS = 3;

/** Locks the dataset row for a write, creating it (under the identity lock) when absent. */
async function lockDatasetForWrite(
  sql: SqlRunner,
  args: { identityPoolId: string; identityId: string; datasetName: string },
): Promise<LockedDataset> {
  const lock = async (): Promise<LockedDataset | null> => {
    const [row] = await sql.query<{
      exists: boolean;
      sync_count: string | number;
      num_records: number;
      data_storage: string | number;
    }>(LOCK_DATASET, [args.identityId, args.datasetName]);
    return row
      ? {
          exists: row.exists,
          syncCount: Number(row.sync_count),
          numRecords: row.num_records,
          dataStorage: Number(row.data_storage),
        }
      : null;
  };
  let row = await lock();
  if (row?.exists) return row;
  // Creation (or re-creation): serialise with the identity's other creations for the limit.
  await sql.query(LOCK_IDENTITY, [args.identityId]);
  row = await lock();
  if (row?.exists) return row;
  const [counted] = await sql.query<{ live: number }>(COUNT_LIVE_DATASETS, [args.identityId]);
  assertCanCreateDataset(counted?.live ?? 0);
  if (row) return row; // a deleted incarnation: the write revives it, counts continue
  await sql.query(INSERT_DATASET, [args.identityId, args.datasetName, args.identityPoolId]);
  return (await lock())!;
}

export interface UpdateRecordsResult {
  records: SyncRecord[];
  change: CommittedChange | null;
}

export async function updateRecords(
  database: Pick<Database, 'sql' | 'transaction'>,
  args: {
    identityPoolId: string;
    identityId: string;
    datasetName: string;
    patches: readonly RecordPatch[];
    writer: Writer;
  },
): Promise<UpdateRecordsResult> {
  // Nothing to write: no new sync count, no dataset created, nothing exported.
  if (args.patches.length === 0) return { records: [], change: null };
  assertDistinctKeys(args.patches);
  const { writer, patches } = args;
  const values = patches.map((p) => (p.op === 'replace' ? (p.value ?? '') : null));
  const deviceTimes = patches.map((p) => p.deviceLastModifiedDate ?? null);

  // Common case, one round trip: the dataset exists and no other write races this one.
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const now = Date.now();
    const [row] = await database.sql.query<{
      base: string | number | null;
      seen_count: string | number | null;
      conflict: [string, string | number, string | number] | null;
      num_records: string | number | null;
      data_storage: string | number | null;
      change_id: string | number | null;
      sync_count: string | number | null;
    }>(UPDATE_IN_ONE, [
      args.identityId,
      args.datasetName,
      patches.map((p) => p.key),
      values,
      deviceTimes,
      patches.map((p) => p.syncCount),
      now,
      writer.lastModifiedBy,
      args.identityPoolId,
      writer.deviceId ?? null,
      writer.source,
      MAX_RECORDS_PER_DATASET,
      MAX_DATASET_BYTES,
    ]);
    if (!row || row.base === null) break; // no live dataset: create it under the identity lock
    if (row.change_id !== null && row.sync_count !== null) {
      const syncCount = Number(row.sync_count);
      const records: SyncRecord[] = patches.map((p, i) => ({
        key: p.key,
        value: values[i] ?? null,
        syncCount,
        lastModifiedDate: now,
        lastModifiedBy: writer.lastModifiedBy,
        deviceLastModifiedDate: deviceTimes[i] ?? null,
      }));
      return {
        records,
        change: {
          changeId: Number(row.change_id),
          identityPoolId: args.identityPoolId,
          identityId: args.identityId,
          datasetName: args.datasetName,
          syncCount,
          kind: 'update',
          deviceId: writer.deviceId ?? null,
        },
      };
    }
    if (Number(row.seen_count) !== Number(row.base)) continue; // a write landed meanwhile
    if (row.conflict) {
      const [key, stored, sent] = row.conflict;
      throw staleSyncCount(key, Number(stored), Number(sent));
    }
    assertDatasetWithinLimits({
      numRecords: Number(row.num_records),
      dataStorage: Number(row.data_storage),
    });
    throw new Error('UpdateRecords: the statement neither wrote nor explained why');
  }

  // First write to the dataset, re-creation after a deletion, or heavy contention: lock it.
  const keys = patches.map((p) => p.key);
  return database.transaction(async (sql) => {
    const ds = await lockDatasetForWrite(sql, args);
    const stored = await sql.query<{
      key: string;
      value: string | null;
      sync_count: string | number;
    }>(READ_PATCHED_RECORDS, [args.identityId, args.datasetName, keys]);
    const current = new Map<string, StoredRecordState>(
      stored.map((r) => [r.key, { value: r.value, syncCount: Number(r.sync_count) }]),
    );
    const written = await writePlanned(sql, args, ds, current);
    if (!written) throw new Error('UpdateRecords lost its compare-and-set under the row lock');
    return written;
  });
}

/** Checks the patches against the locked `ds`/`current` (domain rules) and writes them. */
async function writePlanned(
  sql: SqlRunner,
  args: {
    identityPoolId: string;
    identityId: string;
    datasetName: string;
    patches: readonly RecordPatch[];
    writer: Writer;
  },
  ds: LockedDataset,
  current: ReadonlyMap<string, StoredRecordState>,
): Promise<UpdateRecordsResult | null> {
  const plan = planPatches({
    // A deleted incarnation holds no records: its keys start again at 0.
    datasetSyncCount: ds.syncCount,
    totals: ds.exists ? ds : { numRecords: 0, dataStorage: 0 },
    current,
    patches: args.patches,
  });
  const now = Date.now();
  const { writer } = args;
  const records: SyncRecord[] = plan.writes.map((w) => ({
    key: w.key,
    value: w.value,
    syncCount: w.syncCount,
    lastModifiedDate: now,
    lastModifiedBy: writer.lastModifiedBy,
    deviceLastModifiedDate: w.deviceLastModifiedDate,
  }));
  const [appended] = await sql.query<{ id: string | number }>(WRITE_RECORDS, [
    args.identityId,
    args.datasetName,
    records.map((r) => r.key),
    plan.syncCount,
    now,
    writer.lastModifiedBy,
    records.map((r) => r.value),
    records.map((r) => r.deviceLastModifiedDate),
    plan.totals.numRecords,
    plan.totals.dataStorage,
    ds.exists,
    args.identityPoolId,
    JSON.stringify(records.map(toChangeLogRecord)),
    writer.deviceId ?? null,
    writer.source,
    ds.syncCount,
  ]);
  if (!appended) return null;
  const change: CommittedChange = {
    changeId: Number(appended.id),
    identityPoolId: args.identityPoolId,
    identityId: args.identityId,
    datasetName: args.datasetName,
    syncCount: plan.syncCount,
    kind: 'update',
    deviceId: writer.deviceId ?? null,
  };
  return { records, change };
}

const toChangeLogRecord = (r: SyncRecord): ChangeLogRecord => ({
  key: r.key,
  value: r.value,
  syncCount: r.syncCount,
  lastModifiedDate: r.lastModifiedDate,
  deviceLastModifiedDate: r.deviceLastModifiedDate,
});

export async function deleteDataset(
  db: DbOrTx,
  args: { identityPoolId: string; identityId: string; datasetName: string; writer: Writer },
): Promise<{ dataset: Dataset; change: CommittedChange }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(dataset)
      .where(datasetKey(args.identityId, args.datasetName))
      .for('update');
    if (!row?.exists) throw notFound(`Dataset '${args.datasetName}' not found.`);
    // The deletion takes its own sync count, so it is never reused and devices that synced at
    // or before it are told the dataset was deleted.
    const syncCount = row.syncCount + 1;
    await tx
      .delete(record)
      .where(and(eq(record.identityId, args.identityId), eq(record.datasetName, args.datasetName)));
    await tx
      .update(dataset)
      .set({
        exists: false,
        syncCount,
        deletedAtSyncCount: syncCount,
        numRecords: 0,
        dataStorage: 0,
        mergedFromIdentityId: null,
        lastModifiedDate: new Date(),
        lastModifiedBy: args.writer.lastModifiedBy,
      })
      .where(datasetKey(args.identityId, args.datasetName));
    const change = await appendChange(tx, {
      identityPoolId: args.identityPoolId,
      identityId: args.identityId,
      datasetName: args.datasetName,
      syncCount,
      kind: 'delete',
      records: [],
      writer: args.writer,
    });
    return { dataset: toDataset(row), change };
  });
}

export async function appendChange(
  tx: DbOrTx,
  args: {
    identityPoolId: string;
    identityId: string;
    datasetName: string;
    syncCount: number;
    kind: CommittedChange['kind'];
    records: SyncRecord[];
    writer: Writer;
  },
): Promise<CommittedChange> {
  const [row] = await tx
    .insert(changeLog)
    .values({
      identityPoolId: args.identityPoolId,
      identityId: args.identityId,
      datasetName: args.datasetName,
      syncCount: args.syncCount,
      kind: args.kind,
      records: args.records.map(toChangeLogRecord),
      lastModifiedBy: args.writer.lastModifiedBy,
      deviceId: args.writer.deviceId ?? null,
      source: args.writer.source,
    })
    .returning({ id: changeLog.id });
  return {
    changeId: row!.id,
    identityPoolId: args.identityPoolId,
    identityId: args.identityId,
    datasetName: args.datasetName,
    syncCount: args.syncCount,
    kind: args.kind,
    deviceId: args.writer.deviceId ?? null,
  };
}

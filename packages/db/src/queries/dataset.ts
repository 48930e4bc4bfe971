/**
 * Datasets and records: the transactional core of Cognito Sync semantics.
 *
 * Ordering and safety:
 * - Every write (UpdateRecords, DeleteDataset) runs in one transaction that first locks the
 *   dataset row (`FOR UPDATE`); creating a dataset also locks the identity row so concurrent
 *   creations cannot jointly pass the 20-dataset limit. Record/size limits are checked on the
 *   totals kept on the dataset row under that lock.
 * - Each write raises the dataset sync count by exactly one and appends one change-log row in
 *   the same transaction; a trigger on change_log NOTIFYs on commit.
 * - A pull reads the dataset row first and then only records with syncCount <= that count, so
 *   the DatasetSyncCount it reports never runs ahead of the records it returns. Later pages
 *   keep the first page's upper bound: a record rewritten mid-pagination moves past the bound
 *   and is returned by the next pull, never lost.
 */
import type { Dataset, RecordPatch, SyncRecord } from '@tandem/sync-protocol';
import {
  assertCanCreateDataset,
  notFound,
  planPatches,
  pullWindow,
  type StoredRecordState,
} from '@tandem/domain';
import { and, asc, eq, gt, inArray, isNotNull, lte, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../client.js';
import { changeLog, dataset, identity, record } from '../schema/index.js';
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

/** Names of live datasets merged into `datasetName` (spec §7.8): `<datasetName>.<fromId>`. */
async function mergedDatasetNames(
  db: DbOrTx,
  identityId: string,
  datasetName: string,
): Promise<string[] | null> {
  const rows = await db
    .select({ name: dataset.name })
    .from(dataset)
    .where(
      and(
        eq(dataset.identityId, identityId),
        eq(dataset.exists, true),
        isNotNull(dataset.mergedFromIdentityId),
        sql`${dataset.name} = ${datasetName} || '.' || ${dataset.mergedFromIdentityId}`,
      ),
    )
    .orderBy(asc(dataset.name));
  return rows.length > 0 ? rows.map((r) => r.name) : null;
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

export async function listRecords(
  db: DbOrTx,
  args: {
    identityId: string;
    datasetName: string;
    lastSyncCount?: number | undefined;
    nextToken?: string | undefined;
    maxResults: number;
  },
): Promise<ListRecordsResult> {
  const [row, merged] = await Promise.all([
    findDataset(db, args.identityId, args.datasetName),
    mergedDatasetNames(db, args.identityId, args.datasetName),
  ]);
  const exists = row?.exists ?? false;
  const window = pullWindow(row, args.lastSyncCount);
  const base = {
    datasetSyncCount: exists ? row!.syncCount : 0,
    lastModifiedBy: exists ? row!.lastModifiedBy : null,
    mergedDatasetNames: merged,
    datasetExists: exists,
    datasetDeletedAfterRequestedSyncCount: window.deletedAfterRequested,
  };
  if (!exists) return { ...base, records: [], nextToken: null };

  const cursor = args.nextToken ? decodeCursor(args.nextToken, isRecordsCursor) : null;
  const upper = cursor?.u ?? row!.syncCount;
  const since = cursor?.s ?? window.since;
  const rows = await db
    .select()
    .from(record)
    .where(
      and(
        eq(record.identityId, args.identityId),
        eq(record.datasetName, args.datasetName),
        lte(record.syncCount, upper),
        cursor
          ? or(
              gt(record.syncCount, cursor.c),
              and(eq(record.syncCount, cursor.c), gt(record.key, cursor.k)),
            )
          : gt(record.syncCount, since),
      ),
    )
    .orderBy(asc(record.syncCount), asc(record.key))
    .limit(args.maxResults + 1);
  const page = rows.slice(0, args.maxResults);
  const last = page.at(-1);
  return {
    ...base,
    // Every page reports the bound it was read against, so the client's final count is exact.
    datasetSyncCount: upper,
    records: page.map(toSyncRecord),
    nextToken:
      rows.length > args.maxResults && last
        ? encodeCursor({ u: upper, c: last.syncCount, k: last.key, s: since } satisfies RecordsCursor)
        : null,
  };
}

/** Locks the dataset row for a write, creating it (under the identity lock) when absent. */
async function lockDatasetForWrite(
  tx: Tx,
  args: { identityPoolId: string; identityId: string; datasetName: string },
): Promise<DatasetRow> {
  const lock = () =>
    tx.select().from(dataset).where(datasetKey(args.identityId, args.datasetName)).for('update');
  let [row] = await lock();
  if (row?.exists) return row;
  // Creation (or re-creation): serialise with the identity's other creations for the limit.
  await tx.select({ id: identity.id }).from(identity).where(eq(identity.id, args.identityId)).for('update');
  [row] = await lock();
  if (row?.exists) return row;
  const [{ live } = { live: 0 }] = await tx
    .select({ live: sql<number>`count(*)::int` })
    .from(dataset)
    .where(and(eq(dataset.identityId, args.identityId), eq(dataset.exists, true)));
  assertCanCreateDataset(live);
  if (row) return row; // a deleted incarnation: the write below revives it, counts continue
  const [created] = await tx
    .insert(dataset)
    .values({
      identityId: args.identityId,
      name: args.datasetName,
      identityPoolId: args.identityPoolId,
      exists: false,
    })
    .returning();
  return created!;
}

export interface UpdateRecordsResult {
  records: SyncRecord[];
  change: CommittedChange | null;
}

export async function updateRecords(
  db: DbOrTx,
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
  return db.transaction(async (tx) => {
    const ds = await lockDatasetForWrite(tx, args);
    const keys = args.patches.map((p) => p.key);
    const stored = await tx
      .select({ key: record.key, value: record.value, syncCount: record.syncCount })
      .from(record)
      .where(
        and(
          eq(record.identityId, args.identityId),
          eq(record.datasetName, args.datasetName),
          inArray(record.key, keys),
        ),
      );
    const current = new Map<string, StoredRecordState>(stored.map((r) => [r.key, r]));
    const plan = planPatches({
      // A deleted incarnation holds no records: its keys start again at 0.
      datasetSyncCount: ds.syncCount,
      totals: ds.exists ? ds : { numRecords: 0, dataStorage: 0 },
      current,
      patches: args.patches,
    });

    const now = new Date();
    const written = await tx
      .insert(record)
      .values(
        plan.writes.map((w) => ({
          identityId: args.identityId,
          datasetName: args.datasetName,
          key: w.key,
          value: w.value,
          syncCount: w.syncCount,
          lastModifiedDate: now,
          lastModifiedBy: args.writer.lastModifiedBy,
          deviceLastModifiedDate: w.deviceLastModifiedDate === null ? null : new Date(w.deviceLastModifiedDate),
        })),
      )
      .onConflictDoUpdate({
        target: [record.identityId, record.datasetName, record.key],
        set: {
          value: sql`excluded.value`,
          syncCount: sql`excluded.sync_count`,
          lastModifiedDate: sql`excluded.last_modified_date`,
          lastModifiedBy: sql`excluded.last_modified_by`,
          deviceLastModifiedDate: sql`excluded.device_last_modified_date`,
        },
      })
      .returning();

    await tx
      .update(dataset)
      .set({
        exists: true,
        syncCount: plan.syncCount,
        numRecords: plan.totals.numRecords,
        dataStorage: plan.totals.dataStorage,
        lastModifiedDate: now,
        lastModifiedBy: args.writer.lastModifiedBy,
        ...(ds.exists ? {} : { creationDate: now }),
      })
      .where(datasetKey(args.identityId, args.datasetName));

    const records = written.map(toSyncRecord);
    const change = await appendChange(tx, {
      identityPoolId: args.identityPoolId,
      identityId: args.identityId,
      datasetName: args.datasetName,
      syncCount: plan.syncCount,
      kind: 'update',
      records,
      writer: args.writer,
    });
    return { records, change };
  });
}

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
      records: args.records.map((r) => ({
        key: r.key,
        value: r.value,
        syncCount: r.syncCount,
        lastModifiedDate: r.lastModifiedDate,
        deviceLastModifiedDate: r.deviceLastModifiedDate,
      })),
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

/**
 * What the worker's stream export and bulk publish need from the database: the pools' streams
 * settings and health, the `postgres` sink's table (append, read, retention), and the bulk
 * publish job (claim with a lease, walk the pool's datasets resumably, advance fenced by holder).
 */
import type { StreamRecordWire, StreamsHealth, StreamsSettings } from '@tandem/sync-protocol';
import { and, asc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx, SqlRunner } from '../client.js';
import { identityPoolSettings, streamRecord } from '../schema/index.js';
import { getIdentityPool } from './identity-pool.js';

/** The change-log consumer that exports one pool's changes (one per pool: see the worker). */
export const streamExportConsumerName = (identityPoolId: string) => `streams/${identityPoolId}`;

/** Retention of stream table rows of pools whose sink is no longer `postgres`. */
export const DEFAULT_STREAM_RETENTION_DAYS = 7;

/** Every pool with a streams configuration (enabled or not). */
export async function listStreamsSettings(
  db: DbOrTx,
): Promise<{ identityPoolId: string; streams: StreamsSettings }[]> {
  const rows = await db
    .select({
      identityPoolId: identityPoolSettings.identityPoolId,
      streams: identityPoolSettings.streams,
    })
    .from(identityPoolSettings)
    .where(isNotNull(identityPoolSettings.streams));
  return rows.flatMap((r) =>
    r.streams ? [{ identityPoolId: r.identityPoolId, streams: r.streams }] : [],
  );
}

/** The worker's report on a pool's sink; ignored once the pool has no streams configuration. */
export async function setStreamsHealth(
  db: DbOrTx,
  identityPoolId: string,
  health: StreamsHealth,
): Promise<void> {
  await db
    .update(identityPoolSettings)
    .set({ streamsHealth: health })
    .where(
      and(
        eq(identityPoolSettings.identityPoolId, identityPoolId),
        isNotNull(identityPoolSettings.streams),
      ),
    );
}

/**
 * Starts a pool's export at the current position of the change log: Cognito streams the
 * updates made after streaming was enabled, not the history (that is what bulk publish is for).
 * Every transaction below the snapshot's xmin has finished, so `(xmin, 0)` leaves those out; the
 * snapshot itself is kept too, so that rows above xmin whose transactions had already committed
 * (xmin is held back by any open transaction in the cluster) are left out as well, and exactly
 * what was in flight or comes later is exported. Any holder's lease is dropped, so a replica
 * still exporting with the old position cannot write it back (its checkpoint is fenced).
 */
export async function resetStreamExport(db: DbOrTx, identityPoolId: string): Promise<void> {
  await db.execute(sql`
    insert into change_log_consumer
      (name, checkpoint_tx_id, checkpoint_id, start_snapshot, holder, lease_expires_at)
    values (${streamExportConsumerName(identityPoolId)}, pg_snapshot_xmin(pg_current_snapshot()), 0,
      pg_current_snapshot(), null, null)
    on conflict (name) do update set
      checkpoint_tx_id = excluded.checkpoint_tx_id, checkpoint_id = 0,
      start_snapshot = excluded.start_snapshot,
      holder = null, lease_expires_at = null, updated_at = now()`);
}

// ——— the postgres sink's table ———

export interface StreamTableRow {
  identityPoolId: string;
  dedupeKey: string;
  record: unknown;
}

const APPEND_STREAM_RECORDS = {
  name: 'stream_record_append',
  text: `insert into stream_record (identity_pool_id, dedupe_key, record)
    select t.e->>'pool', t.e->>'key', t.e->'record'
    from jsonb_array_elements($1::jsonb) with ordinality as t(e, n)
    order by t.n
    on conflict (identity_pool_id, dedupe_key) do nothing
    returning 1 as appended`,
};

/**
 * Appends records in the given order; one already stored (same pool and dedupe key: a replay)
 * is skipped, so the table holds each change exactly once. Returns how many were new.
 */
export async function appendStreamRecords(
  sql: SqlRunner,
  rows: readonly StreamTableRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const payload = JSON.stringify(
    rows.map((r) => ({ pool: r.identityPoolId, key: r.dedupeKey, record: r.record })),
  );
  return (await sql.query(APPEND_STREAM_RECORDS, [payload])).length;
}

export interface StoredStreamRecord {
  /** Position in the pool's stream: increasing in append order. */
  id: number;
  publishedAt: number;
  record: StreamRecordWire;
}

/** A page of a pool's stream table, oldest first, after `afterId`. */
export async function listStreamRecords(
  db: DbOrTx,
  args: { identityPoolId: string; afterId?: number | undefined; limit: number },
): Promise<{ records: StoredStreamRecord[]; nextAfterId: number | null }> {
  await getIdentityPool(db, args.identityPoolId);
  const rows = await db
    .select()
    .from(streamRecord)
    .where(
      and(
        eq(streamRecord.identityPoolId, args.identityPoolId),
        gt(streamRecord.id, args.afterId ?? 0),
      ),
    )
    .orderBy(asc(streamRecord.id))
    .limit(args.limit + 1);
  const page = rows.slice(0, args.limit);
  return {
    records: page.map((r) => ({
      id: r.id,
      publishedAt: r.publishedAt.getTime(),
      record: r.record,
    })),
    nextAfterId: rows.length > args.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * Deletes stream table rows older than their pool's retention: the `postgres` sink's
 * `retentionDays`, or DEFAULT_STREAM_RETENTION_DAYS for pools that left that sink.
 */
export async function deleteExpiredStreamRecords(db: DbOrTx): Promise<number> {
  const result = await db.execute(sql`
    delete from stream_record r
    using identity_pool_settings s
    where s.identity_pool_id = r.identity_pool_id
      and r.published_at < now() - make_interval(days => coalesce(
        case when s.streams->'sink'->>'kind' = 'postgres'
          then (s.streams->'sink'->>'retentionDays')::int end,
        ${DEFAULT_STREAM_RETENTION_DAYS}))`);
  return rowCount(result);
}

function rowCount(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return r.rowCount ?? r.affectedRows ?? 0;
}

// ——— bulk publish jobs ———

export interface BulkPublishJob {
  identityPoolId: string;
  /** The last dataset published, (identityId, datasetName); null at the start. */
  cursor: { identityId: string; datasetName: string } | null;
  done: number;
}

const CLAIM_BULK_PUBLISH = {
  name: 'bulk_publish_claim',
  text: `update bulk_publish set holder = $1, lease_expires_at = now() + $2::int8 * interval '1 millisecond'
    where identity_pool_id = (
      select identity_pool_id from bulk_publish
      where status = 'IN_PROGRESS'
        and (holder is null or holder = $1 or lease_expires_at < now())
      order by started_at
      limit 1
      for update skip locked)
    returning identity_pool_id, cursor_identity_id, cursor_dataset_name,
      coalesce(progress_done, 0) as done`,
};

/**
 * Takes the oldest IN_PROGRESS bulk publish nobody is running (never started, or its worker's
 * lease ran out), with the position to resume from. Null when there is none.
 */
export async function claimBulkPublishJob(
  sql: SqlRunner,
  args: { holder: string; leaseMs: number },
): Promise<BulkPublishJob | null> {
  const [row] = await sql.query<{
    identity_pool_id: string;
    cursor_identity_id: string | null;
    cursor_dataset_name: string | null;
    done: unknown;
  }>(CLAIM_BULK_PUBLISH, [args.holder, Math.round(args.leaseMs)]);
  if (!row) return null;
  return {
    identityPoolId: row.identity_pool_id,
    cursor:
      row.cursor_identity_id !== null && row.cursor_dataset_name !== null
        ? { identityId: row.cursor_identity_id, datasetName: row.cursor_dataset_name }
        : null,
    done: Number(row.done),
  };
}

const ADVANCE_BULK_PUBLISH = {
  name: 'bulk_publish_advance',
  text: `update bulk_publish set cursor_identity_id = $3, cursor_dataset_name = $4,
      progress_done = $5, progress_total = $6,
      lease_expires_at = now() + $7::int8 * interval '1 millisecond'
    where identity_pool_id = $1 and holder = $2 and status = 'IN_PROGRESS'
    returning 1 as advanced`,
};

/**
 * Records that everything up to `cursor` was published (after the sink acknowledged it) and
 * renews the lease. False when this worker no longer runs the job (its lease was taken over, or
 * the run ended): it must stop.
 */
export async function advanceBulkPublish(
  sql: SqlRunner,
  args: {
    identityPoolId: string;
    holder: string;
    leaseMs: number;
    cursor: { identityId: string; datasetName: string } | null;
    done: number;
    total: number;
  },
): Promise<boolean> {
  const rows = await sql.query(ADVANCE_BULK_PUBLISH, [
    args.identityPoolId,
    args.holder,
    args.cursor?.identityId ?? null,
    args.cursor?.datasetName ?? null,
    args.done,
    args.total,
    Math.round(args.leaseMs),
  ]);
  return rows.length > 0;
}

const COUNT_POOL_DATASETS = {
  name: 'bulk_publish_count_datasets',
  text: `select count(*)::int8 as n from dataset d where d.identity_pool_id = $1 and d.exists`,
};

export async function countPoolDatasets(sql: SqlRunner, identityPoolId: string): Promise<number> {
  const [row] = await sql.query<{ n: unknown }>(COUNT_POOL_DATASETS, [identityPoolId]);
  return Number(row?.n ?? 0);
}

export interface DatasetSnapshot {
  identityId: string;
  datasetName: string;
  syncCount: number;
  lastModifiedDate: number;
  /** Live records (no tombstones), in key order. */
  records: {
    key: string;
    value: string;
    syncCount: number;
    lastModifiedDate: number;
    deviceLastModifiedDate: number | null;
  }[];
}

const READ_DATASET_SNAPSHOTS = {
  name: 'bulk_publish_read_datasets',
  text: `select d.identity_id, d.name, d.sync_count::int8 as sync_count,
      (extract(epoch from d.last_modified_date) * 1000)::float8 as last_modified_ms,
      coalesce((
        select jsonb_agg(jsonb_build_object(
            'key', r.key, 'value', r.value, 'syncCount', r.sync_count,
            'lastModifiedDate', (extract(epoch from r.last_modified_date) * 1000)::float8,
            'deviceLastModifiedDate', (extract(epoch from r.device_last_modified_date) * 1000)::float8)
          order by r.key)
        from record r
        where r.identity_id = d.identity_id and r.dataset_name = d.name and r.value is not null
      ), '[]'::jsonb) as records
    from dataset d
    where d.identity_pool_id = $1 and d.exists
      and (d.identity_id, d.name) > ($2, $3)
    order by d.identity_id, d.name
    limit $4`,
};

/**
 * The next `limit` existing datasets of a pool after `after` in (identityId, name) order, each
 * with its current live records: what a bulk publish sends. Each dataset is read in one
 * statement, so it is a consistent state of that dataset.
 */
export async function readDatasetSnapshots(
  sql: SqlRunner,
  args: {
    identityPoolId: string;
    after: { identityId: string; datasetName: string } | null;
    limit: number;
  },
): Promise<DatasetSnapshot[]> {
  const rows = await sql.query<{
    identity_id: string;
    name: string;
    sync_count: unknown;
    last_modified_ms: unknown;
    records: unknown;
  }>(READ_DATASET_SNAPSHOTS, [
    args.identityPoolId,
    args.after?.identityId ?? '',
    args.after?.datasetName ?? '',
    args.limit,
  ]);
  return rows.map((r) => ({
    identityId: r.identity_id,
    datasetName: r.name,
    syncCount: Number(r.sync_count),
    lastModifiedDate: Number(r.last_modified_ms),
    records: (typeof r.records === 'string'
      ? JSON.parse(r.records)
      : r.records) as DatasetSnapshot['records'],
  }));
}

const RELEASE_BULK_PUBLISH = {
  name: 'bulk_publish_release',
  text: `update bulk_publish set holder = null, lease_expires_at = null
    where identity_pool_id = $1 and holder = $2`,
};

/** A stopping worker hands its run back, so another resumes it without waiting for the lease. */
export async function releaseBulkPublishJob(
  sql: SqlRunner,
  args: { identityPoolId: string; holder: string },
): Promise<void> {
  await sql.query(RELEASE_BULK_PUBLISH, [args.identityPoolId, args.holder]);
}

/**
 * The console's pool dashboard: totals, writes over time and the latest changes, in three
 * statements. Buckets are UTC days (UTC hours for a one-day window), the last one being the
 * current, partial one; the change log's (identity_pool_id, committed_at) index serves both
 * change-log reads.
 */
import type { PoolDashboard, RecentChange } from '@tandem/sync-protocol';
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { changeLog, dataset, identity } from '../schema/index.js';
import { getIdentityPool } from './identity-pool.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RECENT_CHANGES = 20;

/** The chart's buckets for a window of `days` ending now: start of the first, size, count. */
export function dashboardBuckets(days: number, now: number) {
  const bucketMs = days === 1 ? HOUR_MS : DAY_MS;
  const count = days === 1 ? 24 : days;
  const start = Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs;
  return { start, bucketMs, count };
}

export async function poolDashboard(
  db: DbOrTx,
  args: { identityPoolId: string; days: number; now?: number | undefined },
): Promise<PoolDashboard> {
  const pool = await getIdentityPool(db, args.identityPoolId);
  const { start, bucketMs, count } = dashboardBuckets(args.days, args.now ?? Date.now());
  const bucket = sql<number>`floor((extract(epoch from ${changeLog.committedAt}) * 1000 - ${start}) / ${bucketMs})::int`;
  const [[totals], perBucket, recent] = await Promise.all([
    db
      .select({
        identityCount: sql<number>`(select count(*)::int from ${identity} where ${identity.identityPoolId} = ${pool.id} and ${identity.mergedInto} is null)`,
        authenticatedIdentityCount: sql<number>`(select count(*)::int from ${identity} where ${identity.identityPoolId} = ${pool.id} and ${identity.mergedInto} is null and ${identity.authenticated})`,
        datasetCount: sql<number>`count(*)::int`,
        recordCount: sql<string>`coalesce(sum(${dataset.numRecords}), 0)::bigint`,
        dataStorage: sql<string>`coalesce(sum(${dataset.dataStorage}), 0)::bigint`,
      })
      .from(dataset)
      .where(and(eq(dataset.identityPoolId, pool.id), eq(dataset.exists, true))),
    db
      .select({ bucket, syncs: sql<number>`count(*)::int` })
      .from(changeLog)
      .where(
        and(eq(changeLog.identityPoolId, pool.id), gte(changeLog.committedAt, new Date(start))),
      )
      // By position: the bucket expression's parameters would not match a repeated expression.
      .groupBy(sql`1`),
    db
      .select({
        changeId: changeLog.id,
        identityId: changeLog.identityId,
        datasetName: changeLog.datasetName,
        syncCount: changeLog.syncCount,
        kind: changeLog.kind,
        source: changeLog.source,
        recordCount: sql<number>`jsonb_array_length(${changeLog.records})`,
        committedAt: changeLog.committedAt,
      })
      .from(changeLog)
      .where(eq(changeLog.identityPoolId, pool.id))
      .orderBy(desc(changeLog.committedAt), desc(changeLog.id))
      .limit(RECENT_CHANGES),
  ]);
  const syncs = new Map(perBucket.map((row) => [Number(row.bucket), Number(row.syncs)]));
  return {
    identityPoolId: pool.id,
    identityCount: Number(totals?.identityCount ?? 0),
    authenticatedIdentityCount: Number(totals?.authenticatedIdentityCount ?? 0),
    datasetCount: Number(totals?.datasetCount ?? 0),
    recordCount: Number(totals?.recordCount ?? 0),
    dataStorage: Number(totals?.dataStorage ?? 0),
    syncsOverTime: Array.from({ length: count }, (_, i) => ({
      bucketStart: start + i * bucketMs,
      bucketMs,
      syncs: syncs.get(i) ?? 0,
    })),
    recentChanges: recent.map((row): RecentChange => ({
      changeId: row.changeId,
      identityId: row.identityId,
      datasetName: row.datasetName,
      syncCount: row.syncCount,
      kind: row.kind,
      source: row.source,
      recordCount: Number(row.recordCount),
      committedAt: row.committedAt.getTime(),
    })),
  };
}

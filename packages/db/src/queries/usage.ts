import type { IdentityPoolUsage, IdentityUsage } from '@tandem/sync-protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { changeLog, dataset, identity } from '../schema/index.js';
import { getIdentityPool } from './identity-pool.js';

export async function describeIdentityUsage(
  db: DbOrTx,
  args: { identityPoolId: string; identityId: string },
): Promise<IdentityUsage> {
  const [row] = await db
    .select({
      datasetCount: sql<number>`count(*)::int`,
      dataStorage: sql<string>`coalesce(sum(${dataset.dataStorage}), 0)::bigint`,
      lastModifiedDate: sql<Date | string | null>`max(${dataset.lastModifiedDate})`,
    })
    .from(dataset)
    .where(and(eq(dataset.identityId, args.identityId), eq(dataset.exists, true)));
  return {
    identityId: args.identityId,
    identityPoolId: args.identityPoolId,
    datasetCount: row?.datasetCount ?? 0,
    dataStorage: Number(row?.dataStorage ?? 0),
    lastModifiedDate: toMillis(row?.lastModifiedDate ?? null),
  };
}

export async function describeIdentityPoolUsage(
  db: DbOrTx,
  identityPoolId: string,
): Promise<IdentityPoolUsage> {
  const pool = await getIdentityPool(db, identityPoolId);
  const [[datasets], [identities], [syncs]] = await Promise.all([
    db
      .select({
        datasetCount: sql<number>`count(*)::int`,
        dataStorage: sql<string>`coalesce(sum(${dataset.dataStorage}), 0)::bigint`,
        lastModifiedDate: sql<Date | string | null>`max(${dataset.lastModifiedDate})`,
      })
      .from(dataset)
      .where(and(eq(dataset.identityPoolId, identityPoolId), eq(dataset.exists, true))),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(identity)
      .where(and(eq(identity.identityPoolId, identityPoolId), sql`${identity.mergedInto} is null`)),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(changeLog)
      .where(and(eq(changeLog.identityPoolId, identityPoolId), eq(changeLog.kind, 'update'))),
  ]);
  return {
    identityPoolId: pool.id,
    syncSessionsCount: syncs?.n ?? 0,
    dataStorage: Number(datasets?.dataStorage ?? 0),
    lastModifiedDate: toMillis(datasets?.lastModifiedDate ?? null),
    identityCount: identities?.n ?? 0,
    datasetCount: datasets?.datasetCount ?? 0,
  };
}

/** Aggregates come back as Date (pg) or string (PGlite) depending on the driver. */
function toMillis(value: Date | string | null): number | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).getTime();
}

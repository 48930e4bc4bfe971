import { and, asc, eq, gt, max } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { changeLog } from '../schema/index.js';
import type { CommittedChange } from './dataset.js';

/**
 * Changes of one identity after a change id, for resuming a live channel. Ids are not commit
 * order, so a resume may miss a change that committed late; pokes are hints and the device's
 * next synchronize() reads the records themselves, so nothing is lost.
 */
export async function changesOfIdentitySince(
  db: DbOrTx,
  args: { identityId: string; afterChangeId: number; limit: number },
): Promise<CommittedChange[]> {
  const rows = await db
    .select()
    .from(changeLog)
    .where(and(eq(changeLog.identityId, args.identityId), gt(changeLog.id, args.afterChangeId)))
    .orderBy(asc(changeLog.id))
    .limit(args.limit);
  return rows.map((r) => ({
    changeId: r.id,
    identityPoolId: r.identityPoolId,
    identityId: r.identityId,
    datasetName: r.datasetName,
    syncCount: r.syncCount,
    kind: r.kind,
    deviceId: r.deviceId,
  }));
}

/**
 * The newest dataset sync count a device wrote after `afterSyncCount`, or null. Reads the
 * (identity, dataset, syncCount) index from `afterSyncCount` up, so it costs what a pull does.
 */
export async function lastDeviceWrite(
  db: DbOrTx,
  args: { identityId: string; datasetName: string; deviceId: string; afterSyncCount: number },
): Promise<number | null> {
  const [row] = await db
    .select({ syncCount: max(changeLog.syncCount) })
    .from(changeLog)
    .where(
      and(
        eq(changeLog.identityId, args.identityId),
        eq(changeLog.datasetName, args.datasetName),
        gt(changeLog.syncCount, args.afterSyncCount),
        eq(changeLog.deviceId, args.deviceId),
        eq(changeLog.kind, 'update'),
      ),
    );
  return row?.syncCount == null ? null : Number(row.syncCount);
}

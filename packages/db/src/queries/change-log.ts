import { and, asc, eq, gt } from 'drizzle-orm';
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

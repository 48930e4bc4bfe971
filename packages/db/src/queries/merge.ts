/**
 * Identity merge (spec §7.8): a guest identity joins a signed-in one. Each live dataset D of
 * the guest becomes `D.<guestIdentityId>` on the survivor, with all its live records, as a new
 * incarnation there (so a dataset of that name deleted earlier never has its counts reused).
 * The guest identity is retired (`mergedInto`), its datasets deleted. ListRecords of D on the
 * survivor reports the merged name until that dataset is deleted.
 *
 * Merged datasets count toward the 20-dataset limit, but a merge never refuses to move data:
 * over the limit, the survivor simply cannot create new datasets until it deletes some.
 */
import { mergedDatasetName } from '@tandem/domain';
import { and, asc, eq, isNotNull } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { dataset, identity, record } from '../schema/index.js';
import { appendChange, toSyncRecord, type CommittedChange, type Writer } from './dataset.js';

export interface MergeResult {
  mergedDatasetNames: string[];
  changes: CommittedChange[];
}

export async function mergeIdentities(
  db: DbOrTx,
  args: { identityPoolId: string; fromIdentityId: string; toIdentityId: string },
): Promise<MergeResult> {
  const writer: Writer = { source: 'system', lastModifiedBy: args.fromIdentityId };
  return db.transaction(async (tx) => {
    // Lock both identities in a fixed order so two merges cannot deadlock.
    for (const id of [args.fromIdentityId, args.toIdentityId].sort()) {
      await tx.select({ id: identity.id }).from(identity).where(eq(identity.id, id)).for('update');
    }
    const sources = await tx
      .select()
      .from(dataset)
      .where(and(eq(dataset.identityId, args.fromIdentityId), eq(dataset.exists, true)))
      .orderBy(asc(dataset.name))
      .for('update');
    const changes: CommittedChange[] = [];
    const names: string[] = [];
    const now = new Date();
    for (const source of sources) {
      const name = mergedDatasetName(source.name, args.fromIdentityId);
      const [target] = await tx
        .select()
        .from(dataset)
        .where(and(eq(dataset.identityId, args.toIdentityId), eq(dataset.name, name)))
        .for('update');
      const syncCount = (target?.syncCount ?? 0) + 1;
      const values = {
        identityPoolId: args.identityPoolId,
        exists: true,
        syncCount,
        deletedAtSyncCount: target ? target.syncCount : null,
        numRecords: source.numRecords,
        dataStorage: source.dataStorage,
        mergedFromIdentityId: args.fromIdentityId,
        creationDate: now,
        lastModifiedDate: now,
        lastModifiedBy: source.lastModifiedBy,
      };
      if (target) {
        await tx
          .delete(record)
          .where(and(eq(record.identityId, args.toIdentityId), eq(record.datasetName, name)));
        await tx
          .update(dataset)
          .set(values)
          .where(and(eq(dataset.identityId, args.toIdentityId), eq(dataset.name, name)));
      } else {
        await tx.insert(dataset).values({ identityId: args.toIdentityId, name, ...values });
      }
      const live = await tx
        .select()
        .from(record)
        .where(
          and(
            eq(record.identityId, args.fromIdentityId),
            eq(record.datasetName, source.name),
            isNotNull(record.value),
          ),
        );
      const moved = live.map((r) => ({
        ...r,
        identityId: args.toIdentityId,
        datasetName: name,
        syncCount,
      }));
      if (moved.length > 0) await tx.insert(record).values(moved);
      changes.push(
        await appendChange(tx, {
          identityPoolId: args.identityPoolId,
          identityId: args.toIdentityId,
          datasetName: name,
          syncCount,
          kind: 'merge',
          records: moved.map(toSyncRecord),
          writer,
        }),
      );

      const deletedAt = source.syncCount + 1;
      await tx
        .delete(record)
        .where(
          and(eq(record.identityId, args.fromIdentityId), eq(record.datasetName, source.name)),
        );
      await tx
        .update(dataset)
        .set({
          exists: false,
          syncCount: deletedAt,
          deletedAtSyncCount: deletedAt,
          numRecords: 0,
          dataStorage: 0,
          lastModifiedDate: now,
        })
        .where(and(eq(dataset.identityId, args.fromIdentityId), eq(dataset.name, source.name)));
      changes.push(
        await appendChange(tx, {
          identityPoolId: args.identityPoolId,
          identityId: args.fromIdentityId,
          datasetName: source.name,
          syncCount: deletedAt,
          kind: 'delete',
          records: [],
          writer,
        }),
      );
      names.push(name);
    }
    await tx
      .update(identity)
      .set({ mergedInto: args.toIdentityId, userId: null, lastModifiedDate: now })
      .where(eq(identity.id, args.fromIdentityId));
    return { mergedDatasetNames: names, changes };
  });
}

/**
 * What happens to a guest's identities when the guest signs in: in each pool where the account
 * already has an identity, the guest's is merged into it; elsewhere the guest identity simply
 * becomes the account's (authenticated, same id), as Cognito does for a first login.
 */
export async function adoptGuestIdentities(
  db: DbOrTx,
  args: { guestUserId: string; userId: string },
): Promise<MergeResult> {
  const guestIdentities = await db
    .select()
    .from(identity)
    .where(eq(identity.userId, args.guestUserId));
  const result: MergeResult = { mergedDatasetNames: [], changes: [] };
  for (const guest of guestIdentities) {
    const [survivor] = await db
      .select()
      .from(identity)
      .where(
        and(eq(identity.identityPoolId, guest.identityPoolId), eq(identity.userId, args.userId)),
      );
    if (!survivor) {
      await db
        .update(identity)
        .set({ userId: args.userId, authenticated: true, lastModifiedDate: new Date() })
        .where(eq(identity.id, guest.id));
      continue;
    }
    const merged = await mergeIdentities(db, {
      identityPoolId: guest.identityPoolId,
      fromIdentityId: guest.id,
      toIdentityId: survivor.id,
    });
    result.mergedDatasetNames.push(...merged.mergedDatasetNames);
    result.changes.push(...merged.changes);
  }
  return result;
}

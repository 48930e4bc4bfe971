import { notAuthorized, notFound } from '@tandem/domain';
import { and, asc, eq, gt, inArray, max } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { DbOrTx } from '../client.js';
import { dataset, identity, identityIdPrefixCondition } from '../schema/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { getIdentityPool } from './identity-pool.js';

export type IdentityRow = typeof identity.$inferSelect;

/** Identity ids share the pool's region: `<region>:<uuid>`. */
export const newIdentityId = (identityPoolId: string) =>
  `${identityPoolId.slice(0, identityPoolId.indexOf(':'))}:${randomUUID()}`;

/**
 * The caller's identity in a pool, created on first use. Guests (anonymous users) get one only
 * when the pool allows unauthenticated identities, with Cognito's message otherwise.
 */
export async function getOrCreateIdentity(
  db: DbOrTx,
  args: { identityPoolId: string; userId: string; authenticated: boolean },
): Promise<IdentityRow> {
  const existing = await findIdentityOfUser(db, args.identityPoolId, args.userId);
  if (existing) return existing;
  const pool = await getIdentityPool(db, args.identityPoolId);
  if (!args.authenticated && !pool.allowUnauthenticated) {
    throw notAuthorized('Unauthenticated access is not supported for this identity pool.');
  }
  await db
    .insert(identity)
    .values({
      id: newIdentityId(args.identityPoolId),
      identityPoolId: args.identityPoolId,
      userId: args.userId,
      authenticated: args.authenticated,
    })
    .onConflictDoNothing();
  // A concurrent first call may have won the insert: read back whichever row exists.
  const created = await findIdentityOfUser(db, args.identityPoolId, args.userId);
  if (!created) throw new Error('identity vanished after insert');
  return created;
}

export async function findIdentityOfUser(
  db: DbOrTx,
  identityPoolId: string,
  userId: string,
): Promise<IdentityRow | null> {
  const [row] = await db
    .select()
    .from(identity)
    .where(and(eq(identity.identityPoolId, identityPoolId), eq(identity.userId, userId)));
  return row ?? null;
}

/** An identity of a pool; "absent" and "in another pool" are the same answer. */
export async function getIdentityInPool(
  db: DbOrTx,
  identityPoolId: string,
  identityId: string,
): Promise<IdentityRow> {
  const [row] = await db
    .select()
    .from(identity)
    .where(and(eq(identity.id, identityId), eq(identity.identityPoolId, identityPoolId)));
  if (!row) throw notFound(`Identity '${identityId}' not found.`);
  return row;
}

export async function listIdentities(
  db: DbOrTx,
  args: {
    identityPoolId: string;
    identityIdPrefix?: string | undefined;
    nextToken?: string | undefined;
    maxResults: number;
  },
): Promise<{ identities: IdentityRow[]; nextToken: string | null }> {
  const after = args.nextToken
    ? decodeCursor(args.nextToken, (v): v is string => typeof v === 'string')
    : null;
  const rows = await db
    .select()
    .from(identity)
    .where(
      and(
        eq(identity.identityPoolId, args.identityPoolId),
        args.identityIdPrefix ? identityIdPrefixCondition(args.identityIdPrefix) : undefined,
        after === null ? undefined : gt(identity.id, after),
      ),
    )
    .orderBy(asc(identity.id))
    .limit(args.maxResults + 1);
  const page = rows.slice(0, args.maxResults);
  // Syncs do not touch the identity row (it would serialise them); its datasets know when it
  // last changed, as DescribeIdentityUsage reports.
  const lastChanges =
    page.length === 0
      ? []
      : await db
          .select({ identityId: dataset.identityId, last: max(dataset.lastModifiedDate) })
          .from(dataset)
          .where(
            inArray(
              dataset.identityId,
              page.map((row) => row.id),
            ),
          )
          .groupBy(dataset.identityId);
  const lastChange = new Map(lastChanges.map((row) => [row.identityId, row.last]));
  return {
    identities: page.map((row) => {
      const last = lastChange.get(row.id) ?? null;
      const current = row.lastModifiedDate;
      return last && (!current || last > current) ? { ...row, lastModifiedDate: last } : row;
    }),
    nextToken: rows.length > args.maxResults ? encodeCursor(page.at(-1)!.id) : null,
  };
}

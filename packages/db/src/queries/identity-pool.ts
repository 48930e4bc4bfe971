import { notFound } from '@tandem/domain';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { DbOrTx } from '../client.js';
import { identityPool } from '../schema/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export type IdentityPoolRow = typeof identityPool.$inferSelect;

export async function createIdentityPool(
  db: DbOrTx,
  args: { name: string; allowUnauthenticated: boolean; region: string; id?: string | undefined },
): Promise<IdentityPoolRow> {
  const [row] = await db
    .insert(identityPool)
    .values({
      id: args.id ?? `${args.region}:${randomUUID()}`,
      name: args.name,
      allowUnauthenticated: args.allowUnauthenticated,
    })
    .returning();
  return row!;
}

export async function findIdentityPool(db: DbOrTx, id: string): Promise<IdentityPoolRow | null> {
  const [row] = await db.select().from(identityPool).where(eq(identityPool.id, id));
  return row ?? null;
}

export async function getIdentityPool(db: DbOrTx, id: string): Promise<IdentityPoolRow> {
  const row = await findIdentityPool(db, id);
  if (!row) throw notFound(`IdentityPool '${id}' not found.`);
  return row;
}

export async function listIdentityPools(
  db: DbOrTx,
  args: { nextToken?: string | undefined; maxResults: number },
): Promise<{ identityPools: IdentityPoolRow[]; nextToken: string | null }> {
  const after = args.nextToken
    ? decodeCursor(args.nextToken, (v): v is string => typeof v === 'string')
    : null;
  const rows = await db
    .select()
    .from(identityPool)
    .where(after === null ? undefined : gt(identityPool.id, after))
    .orderBy(asc(identityPool.id))
    .limit(args.maxResults + 1);
  const page = rows.slice(0, args.maxResults);
  return {
    identityPools: page,
    nextToken: rows.length > args.maxResults ? encodeCursor(page.at(-1)!.id) : null,
  };
}

export async function updateIdentityPool(
  db: DbOrTx,
  args: { id: string; name?: string | undefined; allowUnauthenticated?: boolean | undefined },
): Promise<IdentityPoolRow> {
  const [row] = await db
    .update(identityPool)
    .set({
      ...(args.name !== undefined ? { name: args.name } : {}),
      ...(args.allowUnauthenticated !== undefined
        ? { allowUnauthenticated: args.allowUnauthenticated }
        : {}),
      configVersion: sql`${identityPool.configVersion} + 1`,
      updatedAt: new Date(),
    })
    .where(eq(identityPool.id, args.id))
    .returning();
  if (!row) throw notFound(`IdentityPool '${args.id}' not found.`);
  return row;
}

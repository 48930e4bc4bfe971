import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import type { DbOrTx, SqlRunner } from '../client.js';
import { awsDeveloperKey, awsSeenSignature } from '../schema/index.js';
import type { SecretBox } from '../secret-box.js';

export interface DeveloperKeyRow {
  accessKeyId: string;
  identityPoolId: string;
  name: string;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** AWS-shaped key material: a 20-character id and a 40-character secret. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const keyId = (prefix: string) =>
  prefix + [...randomBytes(16)].map((b) => ALPHABET[b % 32]).join('');

/** What seals a developer key's secret: bound to the key id, so a copied row does not open. */
const sealFor = (accessKeyId: string) => `aws-developer-key:${accessKeyId}`;

export async function createDeveloperKey(
  db: DbOrTx,
  box: SecretBox,
  args: { identityPoolId: string; name: string; createdBy: string | null },
): Promise<{ key: DeveloperKeyRow; secretAccessKey: string }> {
  // `TK` marks Tandem keys; AWS's own long-term keys start with `AKIA`.
  const accessKeyId = keyId('TKDV');
  const secretAccessKey = randomBytes(30)
    .toString('base64')
    .replace(/[+/]/g, (c) => (c === '+' ? 'A' : 'B'));
  const [key] = await db
    .insert(awsDeveloperKey)
    .values({
      accessKeyId,
      identityPoolId: args.identityPoolId,
      name: args.name,
      createdBy: args.createdBy,
      sealedSecret: box.seal(secretAccessKey, sealFor(accessKeyId)),
    })
    .returning();
  return { key: toRow(key!), secretAccessKey };
}

export async function listDeveloperKeys(
  db: DbOrTx,
  identityPoolId: string,
): Promise<DeveloperKeyRow[]> {
  const rows = await db
    .select()
    .from(awsDeveloperKey)
    .where(eq(awsDeveloperKey.identityPoolId, identityPoolId))
    .orderBy(desc(awsDeveloperKey.createdAt));
  return rows.map(toRow);
}

/** Revokes a key at once (later requests signed with it are refused). False: no such key. */
export async function revokeDeveloperKey(
  db: DbOrTx,
  args: { identityPoolId: string; accessKeyId: string },
): Promise<boolean> {
  const rows = await db
    .update(awsDeveloperKey)
    .set({ revokedAt: sql`coalesce(${awsDeveloperKey.revokedAt}, now())` })
    .where(
      and(
        eq(awsDeveloperKey.identityPoolId, args.identityPoolId),
        eq(awsDeveloperKey.accessKeyId, args.accessKeyId),
      ),
    )
    .returning({ accessKeyId: awsDeveloperKey.accessKeyId });
  return rows.length > 0;
}

/** An active key and its secret, for checking a signature; null when unknown or revoked. */
export async function findDeveloperKey(
  db: DbOrTx,
  box: SecretBox,
  accessKeyId: string,
): Promise<{ key: DeveloperKeyRow; secretAccessKey: string } | null> {
  const [row] = await db
    .select()
    .from(awsDeveloperKey)
    .where(and(eq(awsDeveloperKey.accessKeyId, accessKeyId), isNull(awsDeveloperKey.revokedAt)));
  if (!row) return null;
  let secretAccessKey: string;
  try {
    secretAccessKey = box.open(row.sealedSecret, sealFor(row.accessKeyId));
  } catch {
    return null; // sealed under another server secret: unusable, as if revoked
  }
  return { key: toRow(row), secretAccessKey };
}

/** Records a key's use, at most once a minute. */
export async function touchDeveloperKey(db: DbOrTx, accessKeyId: string): Promise<void> {
  await db
    .update(awsDeveloperKey)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(awsDeveloperKey.accessKeyId, accessKeyId),
        sql`(${awsDeveloperKey.lastUsedAt} is null or ${awsDeveloperKey.lastUsedAt} < now() - interval '1 minute')`,
      ),
    );
}

/**
 * Remembers a signature until `expiresAt`. False when it was seen before: the request is a
 * replay. One statement, committed without waiting for the WAL flush (a crash may forget the
 * last few signatures: at worst a write signed just before it could be replayed once within
 * the skew window, while every write still waits for its own flush). Expired entries are swept
 * now and then by the caller (`sweepSeenSignatures`).
 */
export async function rememberSignature(
  sql: SqlRunner,
  args: { signature: string; expiresAt: Date },
): Promise<boolean> {
  const rows = await sql.query<{ signature: string }>(REMEMBER_SIGNATURE, [
    args.signature,
    args.expiresAt.toISOString(),
  ]);
  return rows.length > 0;
}

const REMEMBER_SIGNATURE = {
  name: 'aws_remember_signature',
  text: `with async_commit as (select set_config('synchronous_commit', 'off', true))
    insert into aws_seen_signature (signature, expires_at)
    select $1::text, $2::timestamptz from async_commit
    on conflict do nothing
    returning signature`,
};

export async function sweepSeenSignatures(db: DbOrTx, now: Date): Promise<number> {
  const rows = await db
    .delete(awsSeenSignature)
    .where(lt(awsSeenSignature.expiresAt, now))
    .returning({ signature: awsSeenSignature.signature });
  return rows.length;
}

const toRow = (row: typeof awsDeveloperKey.$inferSelect): DeveloperKeyRow => ({
  accessKeyId: row.accessKeyId,
  identityPoolId: row.identityPoolId,
  name: row.name,
  createdBy: row.createdBy,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
  revokedAt: row.revokedAt,
});

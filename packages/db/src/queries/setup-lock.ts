import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { setupLock } from '../schema/index.js';

/**
 * Takes the named lock for up to `ttlMs` (one statement: the insert wins, or takes over a lock
 * whose holder let it expire). Returns the holder id to release it with, or null when someone
 * else holds it.
 */
export async function tryAcquireSetupLock(
  db: DbOrTx,
  name: string,
  ttlMs: number,
): Promise<string | null> {
  const holder = randomUUID();
  const expiresAt = sql`now() + ${`${ttlMs} milliseconds`}::interval`;
  const [row] = await db
    .insert(setupLock)
    .values({ name, holder, expiresAt })
    .onConflictDoUpdate({
      target: setupLock.name,
      set: { holder, expiresAt },
      setWhere: sql`${setupLock.expiresAt} < now()`,
    })
    .returning({ holder: setupLock.holder });
  return row?.holder === holder ? holder : null;
}

export async function releaseSetupLock(db: DbOrTx, name: string, holder: string): Promise<void> {
  await db
    .delete(setupLock)
    .where(sql`${setupLock.name} = ${name} and ${setupLock.holder} = ${holder}`);
}

import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { identity } from '../schema/index.js';
import type { IdentityRow } from './identity.js';

/**
 * An identity by id alone, whatever its pool: Cognito Identity's GetCredentialsForIdentity names
 * only the identity (the id's prefix is the region, not the pool).
 */
export async function findIdentityById(
  db: DbOrTx,
  identityId: string,
): Promise<IdentityRow | null> {
  const [row] = await db.select().from(identity).where(eq(identity.id, identityId));
  return row ?? null;
}

/**
 * Identities brought over from Amazon Cognito (the `import:cognito` command): created with the
 * identity id they had on AWS, so apps that cached their IdentityId find their data.
 */
import { invalidParameter } from '@tandem/domain';
import { identityIdSchema } from '@tandem/sync-protocol';
import type { DbOrTx } from '../client.js';
import { identity } from '../schema/index.js';
import { findIdentityById } from './aws-identity.js';
import { getIdentityPool } from './identity-pool.js';

/**
 * Owner of an imported identity: an AWS guest (`aws-guest:` prefix of aws-compat's Cognito
 * Identity endpoint), so GetCredentialsForIdentity serves it without Logins when the pool allows
 * guests. The identity id makes it unique per identity.
 */
export const importedIdentityUserId = (identityId: string) => `aws-guest:import:${identityId}`;

/**
 * The identity `identityId` in `identityPoolId`, created (unauthenticated, owned by
 * {@link importedIdentityUserId}) when absent. An identity of that id in another pool is
 * refused: ids are global, and the data would land in the other app.
 */
export async function ensureImportedIdentity(
  db: DbOrTx,
  args: { identityPoolId: string; identityId: string },
): Promise<{ created: boolean }> {
  const parsed = identityIdSchema.safeParse(args.identityId);
  if (!parsed.success) {
    throw invalidParameter(
      `Identity id '${args.identityId}' is not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const assertSamePool = (row: { identityPoolId: string }) => {
    if (row.identityPoolId !== args.identityPoolId) {
      throw invalidParameter(
        `Identity '${args.identityId}' already exists in another identity pool (${row.identityPoolId}).`,
      );
    }
  };
  const existing = await findIdentityById(db, args.identityId);
  if (existing) {
    assertSamePool(existing);
    return { created: false };
  }
  await getIdentityPool(db, args.identityPoolId); // ResourceNotFoundException, not an FK error
  const inserted = await db
    .insert(identity)
    .values({
      id: args.identityId,
      identityPoolId: args.identityPoolId,
      userId: importedIdentityUserId(args.identityId),
      authenticated: false,
    })
    .onConflictDoNothing()
    .returning({ id: identity.id });
  if (inserted.length > 0) return { created: true };
  // A concurrent import created it first: whichever row exists must be in this pool.
  const raced = await findIdentityById(db, args.identityId);
  if (!raced) throw new Error(`identity '${args.identityId}' vanished after insert`);
  assertSamePool(raced);
  return { created: false };
}

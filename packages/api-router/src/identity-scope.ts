import type { SessionUser } from '@tandem/auth';
import { getIdentityInPool, getOrCreateIdentity, type IdentityRow } from '@tandem/db';
import { notFound } from '@tandem/domain';
import type { ApiDeps } from './context.js';

/**
 * Resolves which identity an identity-scoped request acts on: always the caller's own identity
 * in the pool (created on first use). A request naming another identity gets the same answer
 * as one naming an identity that does not exist (DESIGN §4 step 1, security X1).
 */
export async function callerIdentity(
  deps: ApiDeps,
  user: SessionUser,
  input: { identityPoolId: string; identityId?: string | undefined },
): Promise<IdentityRow> {
  const cacheKey = `${user.userId}\u0000${input.identityPoolId}`;
  let identity = deps.caches.identities.get(cacheKey);
  if (!identity) {
    identity = await getOrCreateIdentity(deps.database.db, {
      identityPoolId: input.identityPoolId,
      userId: user.userId,
      authenticated: !user.isAnonymous,
    });
    deps.caches.identities.set(cacheKey, identity);
  }
  if (input.identityId !== undefined && input.identityId !== identity.id) {
    throw notFound(`Identity '${input.identityId}' not found.`);
  }
  return identity;
}

/** For admins: any identity, but only within the pool named. */
export const identityOfPool = (
  deps: ApiDeps,
  input: { identityPoolId: string; identityId: string },
): Promise<IdentityRow> =>
  getIdentityInPool(deps.database.db, input.identityPoolId, input.identityId);

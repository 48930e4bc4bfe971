import type { IdentityPoolRow, IdentityRow } from '@tandem/db';
import type { Identity, IdentityPool } from '@tandem/sync-protocol';

export const toIdentity = (row: IdentityRow): Identity => ({
  identityId: row.id,
  identityPoolId: row.identityPoolId,
  authenticated: row.authenticated,
  createdAt: row.createdAt.getTime(),
  lastModifiedDate: row.lastModifiedDate?.getTime() ?? null,
});

export const toIdentityPool = (row: IdentityPoolRow): IdentityPool => ({
  identityPoolId: row.id,
  name: row.name,
  allowUnauthenticated: row.allowUnauthenticated,
  createdAt: row.createdAt.getTime(),
  updatedAt: row.updatedAt.getTime(),
});

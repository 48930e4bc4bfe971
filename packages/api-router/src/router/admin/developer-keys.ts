/**
 * AWS developer keys (spec §3.2), under `admin.developerKey`: long-lived access key pairs for
 * server-side apps that call the AWS-compatible Cognito Sync endpoint with SigV4 on any
 * identity of one pool. The secret is sealed with the settings box and returned once, by
 * `create`; `list` never carries it (the output schemas strip what they do not name).
 */
import {
  createDeveloperKey,
  getIdentityPool,
  listDeveloperKeys,
  revokeDeveloperKey,
  type DeveloperKeyRow,
} from '@tandem/db';
import { limitExceeded, notFound } from '@tandem/domain';
import {
  createDeveloperKeyRequestSchema,
  createDeveloperKeyResponseSchema,
  developerKeySchema,
  listDeveloperKeysRequestSchema,
  listDeveloperKeysResponseSchema,
  MAX_ACTIVE_DEVELOPER_KEYS,
  revokeDeveloperKeyRequestSchema,
  type DeveloperKey,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { adminProcedure } from '../../trpc.js';

/**
 * Serialises key creation (count, then insert) so concurrent creates cannot pass the limit
 * together. Creating a key is a rare console action: one lock for every pool is enough.
 */
const CREATE_LOCK = "select pg_advisory_xact_lock(hashtext('tandem/aws-developer-key/create'))";

const toDeveloperKey = (row: DeveloperKeyRow): DeveloperKey => ({
  accessKeyId: row.accessKeyId,
  identityPoolId: row.identityPoolId,
  name: row.name,
  createdBy: row.createdBy,
  createdAt: row.createdAt.getTime(),
  lastUsedAt: row.lastUsedAt?.getTime() ?? null,
  revokedAt: row.revokedAt?.getTime() ?? null,
});

export const adminDeveloperKeyRouter = {
  /** The pool's keys, newest first, revoked ones included; never their secrets. */
  list: adminProcedure
    .input(listDeveloperKeysRequestSchema)
    .output(listDeveloperKeysResponseSchema)
    .query(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      await getIdentityPool(db, input.identityPoolId);
      const rows = await listDeveloperKeys(db, input.identityPoolId);
      return { keys: rows.map(toDeveloperKey) };
    }),

  /** A new key pair; the only answer that carries the secret. */
  create: adminProcedure
    .input(createDeveloperKeyRequestSchema)
    .output(createDeveloperKeyResponseSchema)
    .mutation(async ({ ctx, input }) => {
      const createdBy = ctx.sessionUser.email;
      const created = await ctx.deps.database.db.transaction(async (tx) => {
        await getIdentityPool(tx, input.identityPoolId);
        await tx.execute(CREATE_LOCK);
        const active = (await listDeveloperKeys(tx, input.identityPoolId)).filter(
          (key) => key.revokedAt === null,
        ).length;
        if (active >= MAX_ACTIVE_DEVELOPER_KEYS) {
          throw limitExceeded(
            `An identity pool may have at most ${MAX_ACTIVE_DEVELOPER_KEYS} active developer keys; revoke one before creating another.`,
          );
        }
        return createDeveloperKey(tx, ctx.deps.secrets.settingsBox, {
          identityPoolId: input.identityPoolId,
          name: input.name,
          createdBy,
        });
      });
      return { key: toDeveloperKey(created.key), secretAccessKey: created.secretAccessKey };
    }),

  /** Revokes a key at once: requests signed with it are refused from now on. */
  revoke: adminProcedure
    .input(revokeDeveloperKeyRequestSchema)
    .output(developerKeySchema)
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      await getIdentityPool(db, input.identityPoolId);
      const revoked = await revokeDeveloperKey(db, input);
      const key = revoked
        ? (await listDeveloperKeys(db, input.identityPoolId)).find(
            (k) => k.accessKeyId === input.accessKeyId,
          )
        : undefined;
      if (!key) throw notFound(`Developer key '${input.accessKeyId}' not found.`);
      return toDeveloperKey(key);
    }),
} satisfies TRPCRouterRecord;

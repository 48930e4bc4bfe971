import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';

/** One app (tenant). Its id is `<region>:<uuid>`, as Cognito's are. */
export const identityPool = pgTable('identity_pool', {
  id: text().primaryKey(),
  name: text().notNull(),
  allowUnauthenticated: boolean().notNull().default(true),
  /**
   * Unused so far: push, streams and sync-trigger settings live in `identity_pool_settings`,
   * VAPID keys in `vapid_key`, bulk publish in `bulk_publish` (pool-settings.ts).
   */
  config: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  /** Raised on every configuration change (ConcurrentModificationException detection). */
  configVersion: integer().notNull().default(0),
  /** UpdateRecords calls that committed (IdentityPoolUsage.SyncSessionsCount). */
  syncSessionsCount: bigint({ mode: 'number' }).notNull().default(0),
  createdAt: createdAt(),
  updatedAt: timestamptz().notNull().defaultNow(),
  lastModifiedDate: timestamptz(),
});

/**
 * A person in a pool. Authenticated identities belong to a better-auth user; guests belong to
 * an anonymous better-auth user. One identity per (pool, user). `mergedInto` is set when a
 * guest identity was merged into a signed-in one; such an identity holds no datasets.
 */
export const identity = pgTable(
  'identity',
  {
    id: text().primaryKey(),
    identityPoolId: text()
      .notNull()
      .references(() => identityPool.id, { onDelete: 'cascade' }),
    /** better-auth user id; no FK so that deleting an anonymous user keeps the data. */
    userId: text(),
    authenticated: boolean().notNull(),
    mergedInto: text(),
    createdAt: createdAt(),
    lastModifiedDate: timestamptz(),
  },
  (t) => [
    unique('identity_pool_user_unique').on(t.identityPoolId, t.userId),
    index('identity_pool_idx').on(t.identityPoolId, t.id),
  ],
);

export const identityIdPrefixCondition = (prefix: string) =>
  sql`${identity.id} LIKE ${prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%'}`;

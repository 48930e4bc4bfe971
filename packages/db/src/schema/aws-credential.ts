import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { identityPool } from './identity-pool.js';

/**
 * Long-lived "developer" credentials of one identity pool (spec §3.2): an access key pair an
 * administrator creates in the console for server-side AWS SDK calls. They may act on any
 * identity of their pool and skip the sync trigger, as developer credentials do in Cognito.
 * The secret is needed to check SigV4 signatures, so it is sealed (secret box, bound to the
 * access key id), never stored in clear and shown once, at creation.
 *
 * Identity credentials (GetCredentialsForIdentity) are not stored: they are derived from the
 * server secret and carried by their session token (packages/aws-compat).
 */
export const awsDeveloperKey = pgTable(
  'aws_developer_key',
  {
    accessKeyId: text().primaryKey(),
    identityPoolId: text()
      .notNull()
      .references(() => identityPool.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    sealedSecret: text().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
    /** Updated at most once a minute per key (a write per request would cost too much). */
    lastUsedAt: timestamptz(),
    revokedAt: timestamptz(),
  },
  (t) => [index('aws_developer_key_pool_idx').on(t.identityPoolId, t.createdAt)],
);

/**
 * Signatures already accepted, kept while their timestamp is inside the allowed clock skew:
 * the same signed request sent again is refused (replay), on every replica.
 */
export const awsSeenSignature = pgTable(
  'aws_seen_signature',
  {
    signature: text().primaryKey(),
    expiresAt: timestamptz().notNull(),
  },
  (t) => [index('aws_seen_signature_expires_idx').on(t.expiresAt)],
);
